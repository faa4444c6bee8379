using System.Text;
using Sluice.Formats.Csv;
using Sluice.Pipelines;

namespace Sluice.Tests.Formats;

/// <summary>
/// A file read chunk by chunk must give exactly the records, fields and line numbers of the file read whole —
/// whatever the quoting, line ends, and wherever the blocks fed to the planner happen to end.
/// </summary>
public sealed class CsvChunkPlannerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-chunks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_files_read_in_chunks_give_the_same_records_and_lines_as_read_whole(int seed)
    {
        var random = new Random(seed);
        var path = Path.Combine(_dir, $"r{seed}.csv");
        File.WriteAllBytes(path, RandomCsv(random, rows: 400, crlf: seed % 2 == 0, bom: seed == 3));
        var policy = new ChunkPolicy(Rows: 1 + random.Next(40), Bytes: 200 + random.Next(2000));

        var plan = Plan(path, CsvOptions.Default, policy, random);

        Assert.True(plan.Chunks.Count > 3, $"expected several chunks, got {plan.Chunks.Count}");
        Assert.Equal(ReadWhole(path, CsvOptions.Default), ReadChunks(path, CsvOptions.Default, plan));
        Assert.Equal(new FileInfo(path).Length, plan.HeaderBytes + plan.Chunks.Sum(c => c.Length));
        Assert.All(plan.Chunks, c => Assert.True(c.Records <= policy.Rows, $"chunk {c.Index} holds {c.Records} records"));
    }

    [Fact]
    public void A_line_break_inside_a_quoted_field_is_never_a_cut()
    {
        var path = Path.Combine(_dir, "q.csv");
        File.WriteAllText(path, "id,note\n1,\"a\nb\"\n2,\"c\n\nd\"\n3,x\n4,\"\"\"\ny\"\"\"\n5,z\n");

        var plan = Plan(path, CsvOptions.Default, new ChunkPolicy(1, long.MaxValue - 1), new Random(1));

        Assert.Equal([2L, 4L, 7L, 8L, 10L], plan.Chunks.Select(c => c.FirstLine));
        Assert.Equal(ReadWhole(path, CsvOptions.Default), ReadChunks(path, CsvOptions.Default, plan));
    }

    [Fact]
    public void A_quote_in_the_middle_of_an_unquoted_field_is_literal_and_does_not_open_a_quoted_field()
    {
        var path = Path.Combine(_dir, "stray.csv");
        File.WriteAllText(path, "id,note\n1,5\" screen\n2,plain\n3,another 2\" one\n4,end\n");

        var plan = Plan(path, CsvOptions.Default, new ChunkPolicy(1, long.MaxValue - 1), new Random(2));

        Assert.Equal(4, plan.Chunks.Count);
        Assert.Equal(ReadWhole(path, CsvOptions.Default), ReadChunks(path, CsvOptions.Default, plan));
    }

    [Fact]
    public void A_file_without_header_and_with_another_delimiter_is_split_too()
    {
        var options = CsvOptions.Default with { Header = false, Delimiter = ';' };
        var path = Path.Combine(_dir, "semi.csv");
        File.WriteAllText(path, string.Concat(Enumerable.Range(1, 50).Select(i => $"{i};\"v;{i}\nx\"\n")));

        var plan = Plan(path, options, new ChunkPolicy(7, long.MaxValue - 1), new Random(3));

        Assert.Equal(0, plan.HeaderBytes);
        Assert.Equal(8, plan.Chunks.Count);
        Assert.Equal(ReadWhole(path, options), ReadChunks(path, options, plan));
    }

    [Fact]
    public void A_utf16_file_or_a_file_of_only_a_header_stays_whole()
    {
        var utf16 = Path.Combine(_dir, "u16.csv");
        File.WriteAllText(utf16, "id,note\n1,a\n2,b\n3,c\n", Encoding.Unicode);
        var header = Path.Combine(_dir, "h.csv");
        File.WriteAllText(header, "id,note");

        Assert.Single(Plan(utf16, CsvOptions.Default, new ChunkPolicy(1, long.MaxValue - 1), new Random(4)).Chunks);
        Assert.Single(Plan(header, CsvOptions.Default, new ChunkPolicy(1, long.MaxValue - 1), new Random(4)).Chunks);
        Assert.False(CsvChunkPlanner.CanPlan(CsvOptions.Default with { Encoding = "utf-16" }));
    }

    /// <summary>Feeds the file in blocks of random sizes, so every state crosses a block end somewhere.</summary>
    [Theory]
    [InlineData(7L << 20, 2, 1)]            // too small: under two shares of 4 MiB
    [InlineData(17_200_000L, 2, 2)]         // 200,000 payments rows on two cores
    [InlineData(17_200_000L, 8, 4)]         // more cores than 4 MiB shares
    [InlineData(17_200_000L, 1, 1)]         // one core: nothing to spread over
    [InlineData(40L << 20, 2, 1)]           // shares of 20 MiB would be too large to stream side by side
    [InlineData(40L << 20, 4, 4)]           // shares of 10 MiB
    [InlineData(128L << 20, 16, 1)]         // a file of a full chunk is split by the limits, not spread
    public void A_file_smaller_than_one_chunk_is_spread_over_the_cores_in_shares_of_4_to_16_MiB(long size, int cores, int ways)
    {
        Assert.Equal(ways, ChunkPolicy.Default.SpreadWays(size, cores));
        Assert.Equal(1, (ChunkPolicy.Default with { Spread = false }).SpreadWays(size, cores));
        Assert.Equal(1, ChunkPolicy.Off.SpreadWays(size, cores));
    }

    [Fact]
    public void A_spread_file_is_cut_into_one_chunk_per_core_of_about_equal_size()
    {
        var path = Path.Combine(_dir, "spread.csv");
        var random = new Random(7);
        using (var w = new StreamWriter(path, false, new UTF8Encoding(false)))
        {
            w.Write("id,amount,note\n");
            for (var i = 1; w.BaseStream.Position < 9L << 20; i++) w.Write($"{i},{random.Next(100000)}.{random.Next(100):D2},\"note, {random.Next()}\"\n");
        }
        var size = new FileInfo(path).Length;
        var policy = ChunkPolicy.Default.For(size, cores: 2);

        var plan = Plan(path, CsvOptions.Default, policy, random);

        Assert.Equal(2, plan.Chunks.Count);
        Assert.InRange((double)plan.Chunks[0].Length / plan.Chunks[1].Length, 0.9, 1.1);
        Assert.Equal(ReadWhole(path, CsvOptions.Default), ReadChunks(path, CsvOptions.Default, plan));
        Assert.Equal(ChunkPolicy.Default, ChunkPolicy.Default.For(size, cores: 1));
    }

    private static CsvChunkPlan Plan(string path, CsvOptions options, ChunkPolicy policy, Random random)
    {
        var planner = new CsvChunkPlanner(options, policy);
        var bytes = File.ReadAllBytes(path);
        for (var at = 0; at < bytes.Length;)
        {
            var n = Math.Min(bytes.Length - at, 1 + random.Next(13));
            planner.Append(bytes.AsSpan(at, n));
            at += n;
        }
        return planner.Complete();
    }

    private static List<string> ReadWhole(string path, CsvOptions options) => Records(CsvRecordSource.Open(path, options));

    private static List<string> ReadChunks(string path, CsvOptions options, CsvChunkPlan plan) =>
        plan.Chunks.SelectMany(c => Records(CsvRecordSource.Open(path, options, (plan.HeaderBytes, c)))).ToList();

    private static List<string> Records(CsvRecordSource source)
    {
        using (source)
        {
            var records = new List<string>();
            while (source.Read())
            {
                var fields = Enumerable.Range(0, source.FieldCount).Select(i => source.GetField(i).ToString());
                records.Add($"{source.Line}|{source.Problem}|{string.Join("\u241F", fields)}");
            }
            return records;
        }
    }

    private static byte[] RandomCsv(Random random, int rows, bool crlf, bool bom)
    {
        var eol = crlf ? "\r\n" : "\n";
        var text = new StringBuilder("id,note,amount" + eol);
        string[] pieces = ["plain", "a,b", "two\nlines", "say \"hi\"", "", "é ü 中", "5\" tall", "\r\n", "x\r\ny", ",,", "\"\""];
        for (var i = 0; i < rows; i++)
        {
            var note = pieces[random.Next(pieces.Length)] + (random.Next(3) == 0 ? pieces[random.Next(pieces.Length)] : "");
            // Quote when needed, and sometimes when not; leave a field with a quote only in its middle unquoted.
            var quoted = note.IndexOfAny([',', '\n', '\r']) >= 0 || (note.Contains('"') && note.StartsWith('"')) || random.Next(4) == 0;
            var cell = quoted ? "\"" + note.Replace("\"", "\"\"") + "\"" : note;
            text.Append(i).Append(',').Append(cell).Append(',').Append(random.Next(1000)).Append('.').Append(random.Next(100));
            if (i < rows - 1 || random.Next(2) == 0) text.Append(eol);
            if (random.Next(40) == 0) text.Append(eol);   // a blank line now and then
        }
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        return bom ? [0xEF, 0xBB, 0xBF, .. bytes] : bytes;
    }
}
