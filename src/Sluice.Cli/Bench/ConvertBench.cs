using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using Sluice.Cli.Commands;
using Sluice.Cli.Output;
using Sluice.Formats;
using Sluice.Formats.Csv;
using Sluice.Pipelines;
using Sluice.Samples;
using Sluice.Stages.Conversion;
using Sluice.Stages.Validate;

namespace Sluice.Cli.Bench;

/// <summary>
/// <c>sluice bench convert</c>: the payments CSV to Parquet with Sluice and, in the same run and on the same file, with
/// DuckDB's own <c>COPY … TO … (FORMAT parquet)</c> — once with the exact types declared (what Sluice writes) and once
/// with DuckDB's sniffer (which reads amounts as DOUBLE). Validation's extra cost and peak memory are reported apart.
/// </summary>
internal static class ConvertBench
{
    public static Command Create()
    {
        var rows = new Option<long>("--rows") { Description = "Rows in the generated payments CSV.", DefaultValueFactory = _ => 2_000_000 };
        var dir = new Option<string?>("--dir") { Description = "Working folder (default $SLUICE_HOME/bench)." };
        var codec = new Option<string>("--compression") { Description = "zstd or snappy.", DefaultValueFactory = _ => "zstd" };
        // Anything else would be measured as zstd and reported as such.
        codec.AcceptOnlyFromAmong("zstd", "snappy");
        var runs = new Option<int>("--runs") { Description = "Timed runs of each engine; the best is reported.", DefaultValueFactory = _ => 2 };
        var command = new Command("convert", "Payments CSV → Parquet: Sluice vs DuckDB COPY, plus validation cost and peak memory.") { rows, dir, codec, runs };
        command.SetAction((parse, _) => CliAction.RunAsync(async ct =>
        {
            var n = parse.GetValue(rows);
            var folder = parse.GetValue(dir) ?? Path.Combine(CliAction.Settings().Home, "bench");
            Directory.CreateDirectory(folder);
            var compression = parse.GetValue(codec) == "snappy" ? ParquetCompression.Snappy : ParquetCompression.Zstd;
            var codecName = compression == ParquetCompression.Snappy ? "snappy" : "zstd";
            var csvPath = Path.Combine(folder, $"payments-{n}.csv");
            if (!File.Exists(csvPath)) { Terminal.Line($"generating {n:N0} rows..."); PaymentsCsv.Write(csvPath, n, seed: 42); }
            var csvBytes = new FileInfo(csvPath).Length;
            await using (var warm = File.OpenRead(csvPath)) await warm.CopyToAsync(Stream.Null, ct); // page cache, for both

            var sluiceOut = Path.Combine(folder, "sluice.parquet");
            var source = new FileFormatOptions { Format = DataFormat.Csv, Csv = CsvOptions.Default };
            var target = new FileFormatOptions { Format = DataFormat.Parquet, Compression = compression };
            ConversionResult? result = null;
            var sluice = await Best(parse.GetValue(runs), async () =>
                result = await FileConverter.ConvertAsync(csvPath, source, sluiceOut, target, sluiceOut + ".rejects.csv", null, ct));
            var peak = Process.GetCurrentProcess().PeakWorkingSet64;
            var managedPeak = GC.GetGCMemoryInfo().HeapSizeBytes;

            var clock = Stopwatch.StartNew();
            var report = await ReconversionValidator.ValidateAsync(csvPath, source with { Schema = result!.Columns }, sluiceOut, DataFormat.Parquet,
                Path.Combine(folder, "reconverted.csv"), ct);
            var validation = clock.Elapsed;
            File.Delete(Path.Combine(folder, "reconverted.csv"));

            var duckTyped = Path.Combine(folder, "duckdb-typed.parquet");
            var duckAuto = Path.Combine(folder, "duckdb-auto.parquet");
            var types = string.Join(", ", result.Columns.Select(c => $"'{c.Name}': '{DuckType(c.Type)}'"));
            var typed = await Best(parse.GetValue(runs), () => Duck(
                $"COPY (SELECT * FROM read_csv('{csvPath}', header = true, delim = ',', quote = '\"', columns = {{{types}}})) TO '{duckTyped}' (FORMAT parquet, COMPRESSION {codecName})"));
            var auto = await Best(parse.GetValue(runs), () => Duck(
                $"COPY (SELECT * FROM read_csv('{csvPath}')) TO '{duckAuto}' (FORMAT parquet, COMPRESSION {codecName})"));
            var amountType = await DuckScalar($"SELECT column_type FROM (DESCRIBE SELECT * FROM read_parquet('{duckAuto}')) WHERE column_name = 'amount'");
            var sluiceAmount = await DuckScalar($"SELECT column_type FROM (DESCRIBE SELECT * FROM read_parquet('{sluiceOut}')) WHERE column_name = 'amount'");

            string Mb(long bytes) => (bytes / 1048576.0).ToString("N1", CultureInfo.InvariantCulture) + " MiB";
            string S(TimeSpan t) => t.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s";
            string X(TimeSpan a, TimeSpan b) => (a.TotalSeconds / b.TotalSeconds).ToString("F2", CultureInfo.InvariantCulture) + "×";
            Console.Out.WriteLine($"""
                ## Convert benchmark: {n:N0}-row payments CSV ({Mb(csvBytes)}) → Parquet ({codecName})

                | engine | time | rows/s | output | amount column | vs DuckDB typed |
                |---|---|---|---|---|---|
                | Sluice (inferred schema, validation off) | {S(sluice)} | {n / sluice.TotalSeconds:N0} | {Mb(new FileInfo(sluiceOut).Length)} | {sluiceAmount} | {X(sluice, typed)} |
                | DuckDB COPY, exact types declared | {S(typed)} | {n / typed.TotalSeconds:N0} | {Mb(new FileInfo(duckTyped).Length)} | DECIMAL(18,2) | 1.00× |
                | DuckDB COPY, its own sniffer | {S(auto)} | {n / auto.TotalSeconds:N0} | {Mb(new FileInfo(duckAuto).Length)} | {amountType} | {X(auto, typed)} |

                - Sluice vs DuckDB with its own sniffer: {X(sluice, auto)}.
                - Validation by reconversion (Parquet → CSV → compare with the source, every value): {S(validation)} extra; {report.Summary()}.
                - Peak working set of the process after Sluice's runs (before DuckDB is loaded): {Mb(peak)}; managed heap {Mb(managedPeak)}.
                - Best of {parse.GetValue(runs)} runs each; file in the page cache for both.
                """);
            return report.Passed ? 0 : CliAction.Failed;
        }));
        return command;
    }

    private static async Task<TimeSpan> Best(int runs, Func<Task> run)
    {
        var best = TimeSpan.MaxValue;
        for (var i = 0; i < Math.Max(1, runs); i++)
        {
            var clock = Stopwatch.StartNew();
            await run();
            if (clock.Elapsed < best) best = clock.Elapsed;
        }
        return best;
    }

    internal static async Task Duck(string sql)
    {
        await using var connection = new DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> DuckScalar(string sql)
    {
        await using var connection = new DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (await command.ExecuteScalarAsync())?.ToString() ?? "";
    }

    internal static string DuckType(ColumnType type) => type.Kind switch
    {
        ColumnKind.BigInt => "BIGINT",
        ColumnKind.Int => "INTEGER",
        ColumnKind.Numeric => $"DECIMAL({type.Precision},{type.Scale})",
        ColumnKind.Timestamp => "TIMESTAMP",
        ColumnKind.TimestampTz => "TIMESTAMPTZ",
        ColumnKind.Date => "DATE",
        ColumnKind.Boolean => "BOOLEAN",
        ColumnKind.Double => "DOUBLE",
        _ => "VARCHAR",
    };
}
