using Npgsql;
using Sluice.Postgres.Embedded;

namespace Sluice.Tests.Infrastructure;

/// <summary>
/// A private PostgreSQL for the tests, started from the installed binaries exactly as Sluice starts its embedded
/// server (under $TMPDIR/sluice-tests, or SLUICE_TEST_HOME). Every test takes a fresh database of its own, so tests run
/// in parallel without seeing each other's rows. Set SLUICE_TEST_DATABASE_URL to use an existing server instead.
/// </summary>
public static class PostgresFixture
{
    private static readonly Lazy<Task<Server>> Shared = new(StartAsync);

    private sealed record Server(string AdminConnectionString, EmbeddedPostgres? Embedded);

    /// <summary>The folder of the test cluster (for tests that restart it).</summary>
    public static async Task<EmbeddedPostgres> EmbeddedAsync() =>
        (await Shared.Value).Embedded ?? throw new InvalidOperationException("tests use an external server (SLUICE_TEST_DATABASE_URL)");

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var server = await Shared.Value;
        var name = $"{DatabaseDay(DateTime.UtcNow)}_{prefix ?? "x"}_{Guid.NewGuid():N}".ToLowerInvariant();
        await using (var conn = new NpgsqlConnection(server.AdminConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"create database \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name, MaxPoolSize = 20 }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/> (a run of the whole suite otherwise leaves
    /// gigabytes behind until the stale ones are dropped a day later).</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var server = await Shared.Value;
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", conn);
        await drop.ExecuteNonQueryAsync();
    }

    private static async Task<Server> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("SLUICE_TEST_DATABASE_URL") is { Length: > 0 } url)
            return new Server(Sluice.Postgres.DatabaseUrl.ToConnectionString(url), null);
        // One test server per machine, started on first use and left running for the next test run (as Sluice leaves
        // its embedded server), so test runs never leak servers; a file lock makes concurrent runs share it safely.
        var home = Environment.GetEnvironmentVariable("SLUICE_TEST_HOME") is { Length: > 0 } h ? h : Path.Combine(Path.GetTempPath(), "sluice-tests");
        var pg = EmbeddedPostgres.For(home);
        // Durability is not under test here; the restart tests start servers of their own.
        await pg.EnsureRunningAsync(CancellationToken.None, ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]);
        var admin = pg.ConnectionString("postgres");
        await DropStaleDatabasesAsync(admin);
        return new Server(admin, pg);
    }

    /// <summary>Databases of test runs that ended more than a day ago (their names carry the day they were made).</summary>
    private static async Task DropStaleDatabasesAsync(string admin)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(admin) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        var stale = new List<string>();
        var today = DatabaseDay(DateTime.UtcNow);
        var yesterday = DatabaseDay(DateTime.UtcNow.AddDays(-1));
        await using (var cmd = new NpgsqlCommand("select datname from pg_database where datname ~ '^t[0-9]{8}_'", conn))
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync())
                if (r.GetString(0) is var name && !name.StartsWith(today, StringComparison.Ordinal) && !name.StartsWith(yesterday, StringComparison.Ordinal))
                    stale.Add(name);
        foreach (var name in stale)
        {
            await using var drop = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", conn);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static string DatabaseDay(DateTime utc) => "t" + utc.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
}
