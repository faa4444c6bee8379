using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Sluice.Errors;

namespace Sluice.Postgres.Embedded;

/// <summary>
/// A private PostgreSQL cluster under <c>$SLUICE_HOME</c>, started from the installed server binaries and
/// reached over a Unix socket in a private folder (so it never collides with another server's port).
/// It is left running for the next command to reuse; <see cref="StopAsync"/> stops it.
/// </summary>
public sealed class EmbeddedPostgres
{
    private const string OsUserWhenRoot = "postgres";
    private const int Port = 5432;
    public const string DatabaseName = "sluice";

    private readonly string _home;
    private readonly string _binDir;
    private readonly string? _runAs;

    private EmbeddedPostgres(string home, string binDir, string? runAs)
    {
        _home = home;
        _binDir = binDir;
        _runAs = runAs;
        ClusterDirectory = ResolveClusterDirectory(home, runAs);
        SocketDirectory = ResolveSocketDirectory(ClusterDirectory);
    }

    /// <summary>The folder holding <c>data/</c> and the server log.</summary>
    public string ClusterDirectory { get; }
    public string DataDirectory => Path.Combine(ClusterDirectory, "data");
    public string LogFile => Path.Combine(ClusterDirectory, "postgres.log");
    public string SocketDirectory { get; }

    /// <summary>The connection string of the <c>sluice</c> database (or another database on the same server).</summary>
    public string ConnectionString(string database = DatabaseName) => new NpgsqlConnectionStringBuilder
    {
        Host = SocketDirectory,
        Port = Port,
        Username = "postgres",
        Database = database,
        MaxPoolSize = 50,
    }.ConnectionString;

    /// <summary>Finds the server binaries; a missing installation is one clear sentence.</summary>
    /// <param name="home">The SLUICE_HOME folder.</param>
    /// <param name="binDirectory">The server binaries' folder; by default SLUICE_PG_BIN, then the installed versions.</param>
    public static EmbeddedPostgres For(string home, string? binDirectory = null)
    {
        var configured = binDirectory ?? Environment.GetEnvironmentVariable("SLUICE_PG_BIN");
        var binDir = FindBinDirectory(configured) ?? throw new SluiceException("postgres.not_installed", configured is { Length: > 0 }
            // Told where to look: "set SLUICE_PG_BIN" would send the user back to what they did.
            ? $"SLUICE_PG_BIN={configured} holds no pg_ctl: set it to the folder of PostgreSQL's server binaries (initdb, pg_ctl, " +
              "postgres; Debian: /usr/lib/postgresql/<version>/bin), unset it to use the newest installed, or set SLUICE_DATABASE_URL to use a running server."
            : "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found: install PostgreSQL 13 or newer " +
              "(Debian: apt-get install postgresql), set SLUICE_PG_BIN to their folder, or set SLUICE_DATABASE_URL to use a running server.");
        string? runAs = null;
        if (Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || IsRoot())
        {
            if (!File.Exists("/usr/sbin/runuser") && !File.Exists("/sbin/runuser") && !File.Exists("/usr/bin/runuser"))
                throw new SluiceException("postgres.root", "Sluice runs as root, PostgreSQL refuses to, and runuser is missing: run Sluice as an ordinary user or set SLUICE_DATABASE_URL.");
            runAs = OsUserWhenRoot;
        }
        return new EmbeddedPostgres(home, binDir, runAs);
    }

    /// <summary>Initialises the cluster if needed, starts it unless it already runs, and creates the <c>sluice</c> database.</summary>
    public async Task<string> EnsureRunningAsync(CancellationToken ct, IEnumerable<string>? extraSettings = null)
    {
        Directory.CreateDirectory(_home);
        // Several processes (a serve, workers, tests) may start at once: one initialises and starts, the others wait.
        using var fileLock = await AcquireLockAsync(Path.Combine(_home, "postgres.lock"), ct);
        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
            await InitAsync(ct);
        if (!await IsRunningAsync(ct))
            await StartAsync(extraSettings ?? [], ct);
        await EnsureDatabaseAsync(DatabaseName, ct);
        return ConnectionString();
    }

    public async Task<bool> IsRunningAsync(CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(DataDirectory, "postmaster.pid"))) return false;
        var status = await PgCtlAsync(["status", "-D", DataDirectory], ct);
        return status.ExitCode == 0;
    }

    /// <summary>Stops the server if it runs: a fast shutdown (open transactions roll back), or with
    /// <paramref name="immediate"/> an immediate one, as a crash would (no checkpoint; commits not yet flushed to the
    /// log are lost, and the next start recovers from the log).</summary>
    public async Task<bool> StopAsync(CancellationToken ct, bool immediate = false)
    {
        if (!await IsRunningAsync(ct)) return false;
        var r = await PgCtlAsync(["stop", "-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-s"], ct);
        if (r.ExitCode != 0) throw new SluiceException("postgres.stop", $"pg_ctl stop failed: {r.Output}");
        return true;
    }

    public async Task CreateDatabaseAsync(string name, CancellationToken ct) => await EnsureDatabaseAsync(name, ct);

    private async Task InitAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(ClusterDirectory);
        GiveToServerUser(ClusterDirectory);
        var r = await RunAsync(Path.Combine(_binDir, "initdb"),
            ["-D", DataDirectory, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "--no-sync"], ct);
        if (r.ExitCode != 0)
            throw new SluiceException("postgres.initdb", $"initdb failed in {DataDirectory}: {LastLines(r.Output)}");
    }

    private async Task StartAsync(IEnumerable<string> extraSettings, CancellationToken ct)
    {
        Directory.CreateDirectory(SocketDirectory);
        GiveToServerUser(SocketDirectory);
        // Stale pid file after a crash or reboot: pg_ctl handles it, but only if the socket folder exists.
        // Tuned for bulk loads: few checkpoints during a large file, and the WAL writer flushing every 10 ms (not 200),
        // so a COPY's backend seldom writes WAL itself and its commit has little left to flush. Measured with
        // ./sluice bench load on two cores (the same server serves every contender): 200,000 rows in 0.26 s instead
        // of 0.31 (psql 0.46 instead of 0.47). An idle WAL writer sleeps 25 delays, so it now wakes every 250 ms, not 5 s.
        var options = new List<string>
        {
            $"-k {SocketDirectory}", "-c listen_addresses=''", $"-p {Port}", "-c max_connections=200",
            "-c shared_buffers=128MB", "-c max_wal_size=2GB", "-c checkpoint_timeout=15min", "-c wal_writer_delay=10ms",
        };
        options.AddRange(extraSettings.Select(s => "-c " + s));
        var r = await PgCtlAsync(["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-s", "-o", string.Join(' ', options)], ct);
        if (r.ExitCode != 0)
        {
            var log = File.Exists(LogFile) ? LastLines(await ReadShared(LogFile)) : "";
            throw new SluiceException("postgres.start",
                $"the embedded PostgreSQL did not start (data in {DataDirectory}, log {LogFile}): {LastLines(r.Output)} {log}".Trim());
        }
    }

    private async Task EnsureDatabaseAsync(string name, CancellationToken ct)
    {
        // Unpooled: a pooled connection may predate a restart of the server.
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        await using var check = new NpgsqlCommand("select 1 from pg_database where datname = $1", conn) { Parameters = { new() { Value = name } } };
        if (await check.ExecuteScalarAsync(ct) is not null) return;
        try
        {
            await using var create = new NpgsqlCommand($"create database {PgIdentifierQuote(name)}", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is "42P04" or "23505")
        {
            // Another process created it between our check and our create.
        }
    }

    private static string PgIdentifierQuote(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    private Task<ProcessRunner.Result> PgCtlAsync(IEnumerable<string> args, CancellationToken ct) =>
        RunAsync(Path.Combine(_binDir, "pg_ctl"), args, ct);

    private Task<ProcessRunner.Result> RunAsync(string program, IEnumerable<string> args, CancellationToken ct) =>
        ProcessRunner.RunAsync(program, args, _runAs, ct);

    private void GiveToServerUser(string dir)
    {
        if (_runAs is null) return;
        var r = ProcessRunner.RunAsync("chown", ["-R", _runAs, dir], null, CancellationToken.None).GetAwaiter().GetResult();
        if (r.ExitCode != 0) throw new SluiceException("postgres.chown", $"could not give {dir} to the '{_runAs}' OS user: {r.Output}");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>
    /// As root the server runs as the postgres OS user, which must be able to reach its data folder. When
    /// <c>$SLUICE_HOME</c> sits below a folder that user cannot enter (e.g. a private temp folder), the cluster
    /// lives in a folder of its own under /var/tmp instead, named after the home folder, and a marker records where.
    /// </summary>
    private static string ResolveClusterDirectory(string home, string? runAs)
    {
        var marker = Path.Combine(home, "postgres.location");
        if (File.Exists(marker)) return File.ReadAllText(marker).Trim();
        var inside = Path.Combine(home, "postgres");
        if (runAs is null || ServerUserCanReach(home, runAs)) return inside;
        var outside = Path.Combine("/var/tmp", "sluice-postgres-" + ShortHash(home));
        Directory.CreateDirectory(home);
        File.WriteAllText(marker, outside + "\n");
        return outside;
    }

    private static bool ServerUserCanReach(string home, string runAs)
    {
        Directory.CreateDirectory(home);
        var r = ProcessRunner.RunAsync("test", ["-x", home], runAs, CancellationToken.None).GetAwaiter().GetResult();
        return r.ExitCode == 0;
    }

    /// <summary>Unix socket paths are limited to 107 bytes; a deep home folder gets its socket under /tmp.</summary>
    private static string ResolveSocketDirectory(string clusterDirectory)
    {
        var inside = Path.Combine(clusterDirectory, "run");
        return inside.Length + 20 < 100 ? inside : Path.Combine("/tmp", "sluice-pg-" + ShortHash(clusterDirectory));
    }

    private static string ShortHash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];

    private static string? FindBinDirectory(string? configured)
    {
        if (configured is { Length: > 0 })
            return File.Exists(Path.Combine(configured, "pg_ctl")) ? configured : null;
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var best = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (dir: Path.Combine(d, "bin"), version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(x => x.version >= 13 && File.Exists(Path.Combine(x.dir, "pg_ctl")))
                .OrderByDescending(x => x.version).FirstOrDefault();
            if (best.dir is not null) return best.dir;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "initdb"))) return dir;
        return null;
    }

    private static bool IsRoot()
    {
        try { return File.ReadAllText("/proc/self/status").Split('\n').FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0"; }
        catch (IOException) { return false; }
    }

    private static async Task<IDisposable> AcquireLockAsync(string path, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { await Task.Delay(50, ct); }
        }
    }

    private static async Task<string> ReadShared(string path)
    {
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(fs);
        return await reader.ReadToEndAsync();
    }

    private static string LastLines(string text) =>
        string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3)).Trim();
}
