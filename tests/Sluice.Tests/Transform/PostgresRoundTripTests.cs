using Npgsql;
using Sluice.Pipelines;
using Sluice.Postgres;
using Sluice.Stages.Transform;
using Sluice.Tests.Infrastructure;

namespace Sluice.Tests.Transform;

/// <summary>
/// Proves the artifact's bytes against a real PostgreSQL: build, COPY ... FROM STDIN (FORMAT binary)
/// through Npgsql's raw binary copy (what the load stage does), read back as text and compare.
/// </summary>
public sealed class PostgresRoundTripTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sluice-rt-").FullName;

    private static readonly (string Name, ColumnType Type, string Csv, string Expected)[] Cases =
    [
        ("big", ColumnType.BigInt, "9223372036854775807", "9223372036854775807"),
        ("small", new(ColumnKind.SmallInt), "-32768", "-32768"),
        ("whole", new(ColumnKind.Int), "+2147483647", "2147483647"),
        ("amount", new(ColumnKind.Numeric, Precision: 14, Scale: 2), "18071.13", "18071.13"),
        ("padded", new(ColumnKind.Numeric, Precision: 14, Scale: 2), "-12.3400", "-12.34"),
        ("wide", new(ColumnKind.Numeric, Precision: 38, Scale: 10), "1234567890123456789012345678.0123456789", "1234567890123456789012345678.0123456789"),
        ("thirty", new(ColumnKind.Numeric), "123456789012345678901234567890.000100", "123456789012345678901234567890.000100"),
        ("tiny", new(ColumnKind.Numeric), "-0.0001", "-0.0001"),
        ("expo", new(ColumnKind.Numeric), "1.5e3", "1500"),
        ("nan", new(ColumnKind.Numeric), "NaN", "NaN"),
        ("ratio", new(ColumnKind.Real), "1.5", "1.5"),
        ("precise", new(ColumnKind.Double), "0.1", "0.1"),
        ("flag", new(ColumnKind.Boolean), "Yes", "true"),
        ("day", new(ColumnKind.Date), "2024-02-29", "2024-02-29"),
        ("early", new(ColumnKind.Date), "1999-12-31", "1999-12-31"),
        ("booked", new(ColumnKind.Timestamp), "2024-03-01T12:34:56.123456", "2024-03-01 12:34:56.123456"),
        ("before2000", new(ColumnKind.Timestamp), "1970-01-01 00:00", "1970-01-01 00:00:00"),
        ("zoned", new(ColumnKind.TimestampTz), "2024-03-01 12:00:00+02:00", "2024-03-01 10:00:00+00"),
        ("utc", new(ColumnKind.TimestampTz), "2024-03-01 12:00:00.5", "2024-03-01 12:00:00.5+00"),
        ("id", new(ColumnKind.Uuid), "0123456789ABCDEF0123456789abcdef", "01234567-89ab-cdef-0123-456789abcdef"),
        ("doc", new(ColumnKind.Json), "{\"a\": [1, 2]}", "{\"a\": [1, 2]}"),
        ("bin", new(ColumnKind.Jsonb), "{\"b\":1,\"a\":\"é\"}", "{\"a\": \"é\", \"b\": 1}"),
        ("name", new(ColumnKind.Varchar, Length: 5), "héllo", "héllo"),
        ("currency", new(ColumnKind.Char, Length: 3), "EUR", "EUR"),
        ("note", ColumnType.Text, "say \"hi\",\nthen 🎉", "say \"hi\",\nthen 🎉"),
    ];

    [Fact]
    public async Task Every_type_loads_through_binary_copy_and_reads_back_exactly()
    {
        var connectionString = await PostgresFixture.CreateDatabaseAsync();

        var columns = Cases.Select(c => new ColumnDefinition(c.Name, c.Type)).ToArray();
        var source = Path.Combine(_directory, "all_types.csv");
        var quoted = Cases.Select(c => $"\"{c.Csv.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
        await File.WriteAllTextAsync(source,
            string.Join(',', Cases.Select(c => c.Name)) + "\n" +
            string.Join(',', quoted) + "\n" +
            new string(',', Cases.Length - 1) + "\n");
        var jobId = Guid.NewGuid();
        var result = await LoadArtifactBuilder.BuildAsync(
            new TransformRequest(source, CsvOptions.Default, columns, _directory, jobId, IncludeLineageColumn: true), CancellationToken.None);
        Assert.Equal((2L, 2L, 0L), (result.Read, result.Written, result.Rejected));

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var schema = "sluice_transform_test";
        var table = $"round_trip_{jobId:N}";
        await Execute(connection, TableDdl.CreateTableScript(schema, table, columns, [], includeLineageColumn: true) + "SET TimeZone = 'UTC';");
        try
        {
            var target = PgIdentifier.QualifiedName(schema, table);
            var names = string.Join(", ", columns.Select(c => PgIdentifier.Quote(c.Name)).Append(PgIdentifier.Quote(TableDdl.LineageColumn)));
            await using (var copy = await connection.BeginRawBinaryCopyAsync($"COPY {target} ({names}) FROM STDIN (FORMAT binary)"))
            await using (var data = File.OpenRead(result.DataPath))
            {
                await data.CopyToAsync(copy);
            }

            var select = string.Join(", ", columns.Select(c => $"{PgIdentifier.Quote(c.Name)}::text").Append($"{PgIdentifier.Quote(TableDdl.LineageColumn)}::text"));
            await using var command = new NpgsqlCommand($"SELECT {select} FROM {target} ORDER BY {PgIdentifier.Quote("big")} NULLS LAST", connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            for (var i = 0; i < Cases.Length; i++)
            {
                Assert.Equal((Cases[i].Name, Cases[i].Expected), (Cases[i].Name, reader.GetString(i)));
            }

            Assert.Equal(jobId.ToString(), reader.GetString(Cases.Length));
            Assert.True(await reader.ReadAsync());
            Assert.All(Enumerable.Range(0, Cases.Length), i => Assert.True(reader.IsDBNull(i), $"{Cases[i].Name} should be NULL"));
            Assert.False(await reader.ReadAsync());
        }
        finally
        {
            await connection.CloseAsync();
            await using var cleanup = new NpgsqlConnection(connectionString);
            await cleanup.OpenAsync();
            await Execute(cleanup, $"DROP TABLE IF EXISTS {PgIdentifier.QualifiedName(schema, table)};");
        }
    }

    [Fact]
    public async Task Seeded_random_numerics_match_postgres_own_text_parsing()
    {
        var connectionString = await PostgresFixture.CreateDatabaseAsync();

        var random = new Random(20240229);
        var values = Enumerable.Range(0, 2000).Select(_ => RandomNumeric(random)).ToArray();
        var source = Path.Combine(_directory, "numerics.csv");
        await File.WriteAllTextAsync(source, "text,value\n" + string.Join("\n", values.Select(v => $"{v},{v}")) + "\n");
        ColumnDefinition[] columns = [new("text", ColumnType.Text), new("value", new ColumnType(ColumnKind.Numeric))];
        var result = await LoadArtifactBuilder.BuildAsync(
            new TransformRequest(source, CsvOptions.Default, columns, _directory, Guid.NewGuid(), IncludeLineageColumn: false), CancellationToken.None);
        Assert.Equal(values.Length, result.Written);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await Execute(connection, "CREATE TEMP TABLE numerics (text text, value numeric);");
        await using (var copy = await connection.BeginRawBinaryCopyAsync("COPY numerics (text, value) FROM STDIN (FORMAT binary)"))
        await using (var data = File.OpenRead(result.DataPath))
        {
            await data.CopyToAsync(copy);
        }

        await using var command = new NpgsqlCommand(
            "SELECT text, value::text, text::numeric::text FROM numerics WHERE value::text <> text::numeric::text OR value <> text::numeric", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var mismatches = new List<string>();
        while (await reader.ReadAsync())
        {
            mismatches.Add($"{reader.GetString(0)}: copied {reader.GetString(1)}, parsed {reader.GetString(2)}");
        }

        Assert.Empty(mismatches);
    }

    private static string RandomNumeric(Random random)
    {
        var sign = random.Next(3) switch { 0 => "-", 1 => "+", _ => "" };
        var integer = new string(Enumerable.Range(0, random.Next(0, 35)).Select(_ => (char)('0' + random.Next(10))).ToArray());
        var fraction = new string(Enumerable.Range(0, random.Next(0, 25)).Select(_ => (char)('0' + random.Next(10))).ToArray());
        var text = sign + (integer.Length == 0 && fraction.Length == 0 ? "0" : integer) + (fraction.Length > 0 || random.Next(4) == 0 ? "." + fraction : "");
        if (text.EndsWith('.') && integer.Length == 0)
        {
            text += "0";
        }

        return random.Next(5) == 0 ? $"{text}e{random.Next(-30, 30)}" : text;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
