using System.Security.Cryptography;
using System.Text;
using Parquet;
using Parquet.Schema;
using Sluice.Formats;
using Sluice.Formats.Parquet;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Formats;

/// <summary>Row groups too large to decode whole: re-cut into small ones with the same values, or refused by name.</summary>
public sealed class ParquetRegroupingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-regroup-").FullName;

    private string Scratch => Directory.CreateDirectory(Path.Combine(_dir, "scratch")).FullName;

    [Fact]
    public async Task A_file_in_one_large_row_group_is_read_through_small_groups_with_the_same_rows_and_values()
    {
        // 300,000 rows in one group, estimated well past the re-cut threshold; every type the re-cut must keep exactly.
        var parquet = Path.Combine(_dir, "one-group.parquet");
        await DuckDb.QueryAsync($"""
            COPY (SELECT i::BIGINT AS id, ((i * 7919 % 10000000)::DECIMAL(14,2) / 100)::DECIMAL(14,2) AS amount,
                         (i::DECIMAL(38,0) * 1000000000000 + 0.123456789)::DECIMAL(38,9) AS huge,
                         CASE WHEN i % 5 = 0 THEN NULL ELSE ['EUR','USD','GBP'][i % 3 + 1] END AS currency,
                         'note ' || i || repeat('x', i % 40) AS note,
                         TIMESTAMP '2026-01-01 00:00:00' + INTERVAL (i * 1000003) MICROSECOND AS at,
                         TIMESTAMPTZ '2026-01-01 00:00:00+00' + INTERVAL (i) SECOND AS at_tz,
                         DATE '2026-01-01' + (i % 400)::INTEGER AS day, i % 2 = 0 AS even, i / 3.0 AS ratio,
                         CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 32000)::SMALLINT END AS small, uuid() AS key
                  FROM range(300000) t(i))
            TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
            """);

        var (direct, _) = await ReadAllAsync(parquet, regroupInto: null);
        await using var regrouped = await ParquetBatchReader.OpenAsync(parquet, null, CancellationToken.None, regroupInto: Scratch);

        Assert.Null(regrouped.RegroupFailure);
        // Read as ten groups of up to 32,768 rows; the file's own figures are still the file's.
        Assert.Equal((1, 300_000L, 10), regrouped.Regrouped);
        Assert.Equal((1, 300_000L), (regrouped.RowGroupCount, regrouped.RowCount));
        // The copy is already gone from the folder: its reader holds it open until disposed.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Scratch));
        var (recut, columns) = await ReadAllAsync(regrouped);
        Assert.Equal(direct, recut);
        Assert.Equal(300_000, direct.Rows);
        Assert.Equal(
            ["id bigint", "amount numeric(14,2)", "huge numeric(38,9)", "currency text", "note text", "at timestamp", "at_tz timestamptz",
             "day date", "even boolean", "ratio double precision", "small smallint", "key uuid"],
            columns);
    }

    [Fact]
    public async Task A_file_and_folder_named_with_wildcards_and_quotes_are_re_cut_as_they_are_named()
    {
        // DuckDB reads a path as a glob: "*" would match the decoy beside the file, "[" would fail to match the file itself.
        var odd = Directory.CreateDirectory(Path.Combine(_dir, "it's [odd]")).FullName;
        var parquet = Path.Combine(odd, "one [group]*.parquet");
        await DuckDb.QueryAsync($"COPY (SELECT i::BIGINT AS id, 'note ' || i AS note FROM range(600000) t(i)) TO '{parquet.Replace("'", "''")}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)");
        await DuckDb.QueryAsync($"COPY (SELECT -1::BIGINT AS id, 'decoy' AS note) TO '{Path.Combine(odd, "one [group] decoy.parquet").Replace("'", "''")}' (FORMAT parquet)");
        var scratch = Directory.CreateDirectory(Path.Combine(_dir, "scratch {x}*")).FullName;

        await using var reader = await ParquetBatchReader.OpenAsync(parquet, null, CancellationToken.None, regroupInto: scratch);

        Assert.Null(reader.RegroupFailure);
        Assert.Equal(1, reader.Regrouped.Groups);
        var (content, _) = await ReadAllAsync(reader);
        Assert.Equal(600_000, content.Rows);
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
    }

    [Fact]
    public async Task A_file_DuckDB_would_misread_is_read_as_written_and_says_why()
    {
        // "a" and "A": DuckDB matches names without regard to case, so a copy could take one column for the other.
        var parquet = Path.Combine(_dir, "cased.parquet");
        const int rows = 700_000;
        var schema = new ParquetSchema(new DataField<int>("a"), new DataField<int>("A"));
        await using (var file = File.Create(parquet))
        await using (var writer = await ParquetWriter.CreateAsync(schema, file))
        using (var group = writer.CreateRowGroup())
        {
            await group.WriteAsync<int>(schema.DataFields[0], Enumerable.Range(0, rows).ToArray());
            await group.WriteAsync<int>(schema.DataFields[1], Enumerable.Range(0, rows).Select(i => -i).ToArray());
        }

        await using var reader = await ParquetBatchReader.OpenAsync(parquet, null, CancellationToken.None, regroupInto: Scratch);

        Assert.Contains("differ only in case", reader.RegroupFailure);
        Assert.Contains("700,000 rows", reader.RegroupFailure);
        Assert.Equal((0, 0L, 0), reader.Regrouped);
        Assert.Equal(["The file was read with its own row groups: 1 of its 1 row groups hold up to 700,000 rows, which are decoded whole " +
                      "(about 22 MiB of memory), because they could not be re-cut into smaller ones: two of its column names differ only in case, " +
                      "which DuckDB would read as one column."], DataFiles.WarningsOf(reader));
        var batch = new ColumnBatch(reader.Columns, 1000);
        Assert.True(await reader.ReadAsync(batch, _ => Assert.Fail("no row is rejected"), CancellationToken.None));
        Assert.Equal(("7", "-7"), (batch.Vectors[0].Text(7), batch.Vectors[1].Text(7)));
    }

    [Fact]
    public async Task A_small_file_claiming_millions_of_rows_in_one_group_is_refused_before_it_is_decoded()
    {
        // 10,000,000 rows of constants: a file of kilobytes whose one group would take over a GiB of arrays.
        var parquet = Path.Combine(_dir, "claims.parquet");
        await DuckDb.QueryAsync($"""
            COPY (SELECT 1::BIGINT AS a, 2::BIGINT AS b, 3::BIGINT AS c, 4::BIGINT AS d, 5::BIGINT AS e, 6::BIGINT AS f,
                         7::BIGINT AS g, 8::BIGINT AS h FROM range(10000000))
            TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 10000000)
            """);
        Assert.True(new FileInfo(parquet).Length < 1 << 20, $"{new FileInfo(parquet).Length} bytes");

        // Read as written (as `sluice inspect` does, with no folder for a copy).
        await using var reader = await ParquetBatchReader.OpenAsync(parquet, null, CancellationToken.None);
        var e = await Assert.ThrowsAsync<DataFileException>(async () =>
            await reader.ReadAsync(new ColumnBatch(reader.Columns, 10), _ => { }, CancellationToken.None));

        Assert.Equal("parquet.row_group_too_large", e.Code);
        Assert.Equal(1, e.Line);
        Assert.Contains("row group 1 of 1 holds 10,000,000 rows", e.Message);
        Assert.Contains("SLUICE_PARQUET_MAX_GROUP_MIB", e.Message);
        Assert.Contains("smaller row groups", e.Message);
    }

    [Fact]
    public async Task A_date_past_year_9999_in_a_re_cut_file_is_named_by_the_files_own_row_group()
    {
        // One group of 300,000 rows, re-cut into groups of 32,768: the error must name the file's group 1, not the copy's.
        var parquet = Path.Combine(_dir, "far-date.parquet");
        await DuckDb.QueryAsync($"""
            COPY (SELECT i::BIGINT AS id, 'row ' || i AS note, i * 2 AS twice,
                         CASE WHEN i = 250000 THEN DATE '12000-01-01' ELSE DATE '2026-01-01' END AS day
                  FROM range(300000) t(i))
            TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
            """);

        async Task<DataFileException> FailureAsync(string? regroupInto)
        {
            await using var reader = await ParquetBatchReader.OpenAsync(parquet, null, CancellationToken.None, regroupInto: regroupInto);
            var batch = new ColumnBatch(reader.Columns, 4096);
            return await Assert.ThrowsAsync<DataFileException>(async () =>
            {
                while (await reader.ReadAsync(batch, _ => { }, CancellationToken.None)) { }
            });
        }

        var direct = await FailureAsync(regroupInto: null);
        var recut = await FailureAsync(Scratch);

        Assert.Equal("parquet.out_of_range", recut.Code);
        Assert.Contains("row group 1 (rows from 1)", direct.Message);
        Assert.Equal((direct.Line, direct.Message), (recut.Line, recut.Message));
    }

    [Fact]
    public async Task A_copy_left_by_a_killed_worker_is_removed_by_the_next_re_cut_into_the_same_folder_and_one_being_written_is_not()
    {
        // 200,000 rows of 8 columns in one group: estimated past the re-cut threshold.
        var parquet = Path.Combine(_dir, "retried.parquet");
        await DuckDb.QueryAsync($"""
            COPY (SELECT i AS a, i AS b, i AS c, i AS d, i AS e, i AS f, i AS g, i AS h FROM range(200000) t(i))
            TO '{parquet}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
            """);
        File.Copy(parquet, Path.Combine(Scratch, ".regrouped-0123456789abcdef0123456789abcdef.parquet"));
        // Another re-cut into the same folder, still writing its copy: it holds it, and it is left alone.
        var running = Path.Combine(Scratch, ".regrouped-fedcba9876543210fedcba9876543210.parquet");
        await using var held = new FileStream(running, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);

        await using var reader = await ParquetBatchReader.OpenAsync(parquet, null, CancellationToken.None, regroupInto: Scratch);

        Assert.Equal((1, 200_000L), (reader.Regrouped.Groups, reader.Regrouped.MaxRows));
        Assert.Equal([running], Directory.EnumerateFileSystemEntries(Scratch));
    }

    /// <summary>Every row's line and canonical values, hashed, and the row count.</summary>
    private static async Task<((int Rows, string Hash) Content, IReadOnlyList<string> Columns)> ReadAllAsync(ParquetBatchReader reader)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var batch = new ColumnBatch(reader.Columns, 4096);
        var rows = 0;
        while (await reader.ReadAsync(batch, r => Assert.Fail($"row {r.Line} rejected: {r.Reason}"), CancellationToken.None))
        {
            for (var i = 0; i < batch.Count; i++, rows++)
                hash.AppendData(Encoding.UTF8.GetBytes($"{batch.Lines[i]}|{string.Join('|', batch.Vectors.Select(v => v.Show(i)))}\n"));
        }
        return ((rows, Convert.ToHexString(hash.GetHashAndReset())), reader.Columns.Select(c => $"{c.Name} {c.Type.ToSql()}").ToList());
    }

    private static async Task<((int Rows, string Hash) Content, IReadOnlyList<string> Columns)> ReadAllAsync(string path, string? regroupInto)
    {
        await using var reader = await ParquetBatchReader.OpenAsync(path, null, CancellationToken.None, regroupInto: regroupInto);
        Assert.Equal((0, 0L, 0), reader.Regrouped);
        return await ReadAllAsync(reader);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
