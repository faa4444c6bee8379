using Npgsql;
using Sluice.Postgres.Embedded;

namespace Sluice.Tests.Infrastructure;

/// <summary>
/// One private PostgreSQL for the whole test run, started from the installed binaries exactly as Sluice starts its
/// embedded server, and stopped when the test process exits. Every test takes a fresh database of its own, so tests
/// run in parallel without seeing each other's rows. Set SLUICE_TEST_DATABASE_URL to use an existing server instead.
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
        var name = $"{prefix ?? "t"}_{Guid.NewGuid():N}".ToLowerInvariant();
        await using (var conn = new NpgsqlConnection(server.AdminConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"create database \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name, MaxPoolSize = 20 }.ConnectionString;
    }

    private static async Task<Server> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("SLUICE_TEST_DATABASE_URL") is { Length: > 0 } url)
            return new Server(Sluice.Postgres.DatabaseUrl.ToConnectionString(url), null);
        var home = Path.Combine(Path.GetTempPath(), $"sluice-tests-{Environment.ProcessId}");
        var pg = EmbeddedPostgres.For(home);
        // Durability is not under test in most tests; where it is, the test restarts the server and checks rows.
        await pg.EnsureRunningAsync(CancellationToken.None, ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                pg.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
                Directory.Delete(pg.ClusterDirectory, recursive: true);
                Directory.Delete(home, recursive: true);
            }
            catch (Exception) { /* best effort on the way out */ }
        };
        return new Server(pg.ConnectionString("postgres"), pg);
    }
}
