using System.Globalization;
using System.Text;

namespace Sluice.Samples;

/// <summary>
/// Deterministic payments CSV used by the demo, the benchmarks and the tests: transaction_id, account_id, client_id,
/// amount (two decimals), currency, booked_at, description (sometimes with commas and quotes), status.
/// The sum of amounts is computed in cents as the file is written, so callers can check exactness.
/// </summary>
public static class PaymentsCsv
{
    public const string Header = "transaction_id,account_id,client_id,amount,currency,booked_at,description,status";

    public const string PipelineSchema = """
        schema:
          transaction_id: bigint not null
          account_id: int
          client_id: int
          amount: numeric(14,2)
          currency: char(3)
          booked_at: timestamp
          description: text
          status: text
        """;

    private static readonly string[] Currencies = ["EUR", "USD", "GBP", "CHF", "JPY", "SEK"];
    private static readonly string[] Statuses = ["booked", "pending", "settled", "reversed"];
    private static readonly string[] Words = ["invoice", "salary", "rent", "refund", "fee", "transfer", "card", "payment", "order", "subscription"];

    public sealed record Summary(long Rows, long Bytes, long AmountCents);

    /// <summary>Writes <paramref name="rows"/> rows with ids starting at <paramref name="firstId"/>.</summary>
    public static Summary Write(string path, long rows, int seed = 42, long firstId = 1)
    {
        var rng = new Random(seed);
        long cents = 0;
        var start = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
        using (var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20))
        {
            w.NewLine = "\n";
            w.WriteLine(Header);
            var sb = new StringBuilder(160);
            for (long i = 0; i < rows; i++)
            {
                var amount = (long)rng.Next(-500_000, 50_000_000) * (rng.Next(10) == 0 ? 37 : 1);
                cents += amount;
                sb.Clear();
                sb.Append(firstId + i).Append(',')
                  .Append(rng.Next(1, 200_000)).Append(',')
                  .Append(rng.Next(1, 500)).Append(',')
                  .Append(FormatCents(amount)).Append(',')
                  .Append(Currencies[rng.Next(Currencies.Length)]).Append(',')
                  .Append(start.AddSeconds(rng.Next(0, 300 * 86400)).AddTicks(rng.Next(0, 1_000_000) * 10L).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)).Append(',');
                var d = rng.Next(20);
                if (d == 0) sb.Append("\"").Append(Words[rng.Next(Words.Length)]).Append(", \"\"quoted\"\" note\"");
                else sb.Append(Words[rng.Next(Words.Length)]).Append(' ').Append(Words[rng.Next(Words.Length)]).Append(' ').Append(rng.Next(1000, 99999));
                sb.Append(',').Append(Statuses[rng.Next(Statuses.Length)]);
                w.WriteLine(sb);
            }
        }
        return new Summary(rows, new FileInfo(path).Length, cents);
    }

    /// <summary>Cents as a decimal string with exactly two places, e.g. -1234 → "-12.34".</summary>
    public static string FormatCents(long cents)
    {
        var sign = cents < 0 ? "-" : "";
        var abs = Math.Abs(cents);
        return $"{sign}{abs / 100}.{abs % 100:D2}";
    }
}
