using Npgsql;
using Sluice.Errors;
using Sluice.Postgres;
using Sluice.Postgres.Embedded;

namespace Sluice.Tests.Postgres;

public sealed class EmbeddedPostgresTests
{
    [Fact]
    public async Task The_embedded_server_starts_is_reused_and_stops()
    {
        var home = Path.Combine(Path.GetTempPath(), "sluice-embedded-" + Guid.NewGuid().ToString("N")[..8]);
        var pg = EmbeddedPostgres.For(home);
        try
        {
            var cs = await pg.EnsureRunningAsync(CancellationToken.None, ["fsync=off"]);
            await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cs) { Pooling = false }.ConnectionString))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand("create table kept (x int); insert into kept values (42)", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            // A second start finds it running and reuses it.
            Assert.Equal(cs, await EmbeddedPostgres.For(home).EnsureRunningAsync(CancellationToken.None));
            Assert.True(await pg.StopAsync(CancellationToken.None));
            Assert.False(await pg.IsRunningAsync(CancellationToken.None));

            // Started again, the data is still there.
            await pg.EnsureRunningAsync(CancellationToken.None);
            await using var again = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cs) { Pooling = false }.ConnectionString);
            await again.OpenAsync();
            await using var read = new NpgsqlCommand("select x from kept", again);
            Assert.Equal(42, (int)(await read.ExecuteScalarAsync())!);
        }
        finally
        {
            await pg.StopAsync(CancellationToken.None);
            try { Directory.Delete(pg.ClusterDirectory, true); Directory.Delete(home, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Missing_server_binaries_are_one_sentence_saying_what_to_do()
    {
        var e = Assert.Throws<SluiceException>(() => EmbeddedPostgres.For("/tmp/never", binDirectory: "/nonexistent/bin"));
        Assert.Equal("postgres.not_installed", e.Code);
        Assert.Contains("SLUICE_DATABASE_URL", e.Message);
    }

    [Fact]
    public async Task A_sluice_pg_bin_without_the_server_binaries_is_named_with_what_to_set_instead()
    {
        var (code, _, stderr) = await Sluice.Tests.Infrastructure.CliProcess.RunAsync(
            new Dictionary<string, string> { ["SLUICE_PG_BIN"] = "/nonexistent/bin", ["SLUICE_HOME"] = "/tmp/never", ["SLUICE_DATABASE_URL"] = "" }, "db", "status");

        Assert.Equal(1, code);
        Assert.Contains("error: SLUICE_PG_BIN=/nonexistent/bin holds no pg_ctl: set it to the folder of PostgreSQL's server binaries", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Theory]
    [InlineData("postgresql://u:p%40ss@db.example:6543/warehouse?sslmode=require", "db.example", 6543, "warehouse", "u", "p@ss")]
    [InlineData("postgres://localhost/app", "localhost", 5432, "app", null, null)]
    [InlineData("Host=h;Port=7000;Database=d;Username=x;Password=y", "h", 7000, "d", "x", "y")]
    public void Database_urls_and_connection_strings_are_both_understood(string url, string host, int port, string db, string? user, string? password)
    {
        var b = new NpgsqlConnectionStringBuilder(DatabaseUrl.ToConnectionString(url));
        Assert.Equal((host, port, db, user, password), (b.Host, b.Port, b.Database, b.Username, b.Password));
    }
}
