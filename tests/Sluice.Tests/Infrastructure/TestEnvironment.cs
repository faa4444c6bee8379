using Npgsql;
using Sluice.Configuration;
using Sluice.Control;
using Sluice.Hosting;
using Sluice.Observability;
using Sluice.Pipelines;
using Sluice.Samples;
using Sluice.Workflows;

namespace Sluice.Tests.Infrastructure;

/// <summary>
/// A Sluice installation of a test's own: a temporary SLUICE_HOME with buckets, workspace and pipelines folders,
/// and a fresh database on the shared test PostgreSQL as control plane and target.
/// </summary>
public sealed class TestEnvironment : IAsyncDisposable
{
    private readonly List<SluiceHost> _hosts = [];

    private TestEnvironment(string home, string connectionString, ControlPlane controlPlane)
    {
        Home = home;
        ConnectionString = connectionString;
        ControlPlane = controlPlane;
        Settings = new SluiceSettings
        {
            Home = home,
            DatabaseUrl = connectionString,
            PipelinesDirectory = Path.Combine(home, "pipelines"),
            BucketsRoot = Path.Combine(home, "buckets"),
            WorkspaceRoot = Path.Combine(home, "workspace"),
            Lease = TimeSpan.FromSeconds(10),
            Settle = TimeSpan.FromMilliseconds(200),
        };
        Directory.CreateDirectory(Settings.PipelinesDirectory);
    }

    public string Home { get; }
    public string ConnectionString { get; }
    public ControlPlane ControlPlane { get; }
    public SluiceSettings Settings { get; private set; }

    public static async Task<TestEnvironment> CreateAsync() => await CreateAsync(await PostgresFixture.CreateDatabaseAsync());

    /// <summary>An environment on a given database (e.g. a server of the test's own that it restarts).</summary>
    public static async Task<TestEnvironment> CreateAsync(string cs)
    {
        var home = Path.Combine(Path.GetTempPath(), "sluice-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(home);
        var cp = await ControlPlane.OpenAsync(cs, CancellationToken.None);
        return new TestEnvironment(home, cs, cp);
    }

    /// <summary>The environment a <c>sluice</c> process needs to work on this installation.</summary>
    public Dictionary<string, string> CliEnvironment(string? lease = null, string? fault = null, string? grace = null, string logLevel = "debug")
    {
        var vars = new Dictionary<string, string>
        {
            ["SLUICE_DATABASE_URL"] = ConnectionString, ["SLUICE_HOME"] = Home, ["SLUICE_PIPELINES"] = Settings.PipelinesDirectory,
            ["SLUICE_BUCKETS"] = Settings.BucketsRoot, ["SLUICE_WORKSPACE"] = Settings.WorkspaceRoot, ["SLUICE_LOG_LEVEL"] = logLevel,
        };
        if (lease is not null) vars["SLUICE_LEASE_SECONDS"] = lease;
        if (fault is not null) vars["SLUICE_FAULT"] = fault;
        if (grace is not null) vars["SLUICE_GRACE_SECONDS"] = grace;
        return vars;
    }

    public void WithSettings(Func<SluiceSettings, SluiceSettings> change) => Settings = change(Settings);

    public string WritePipeline(string fileName, string yaml)
    {
        var path = Path.Combine(Settings.PipelinesDirectory, fileName);
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>A payments CSV of <paramref name="rows"/> rows at <c>{Home}/payments/{name}</c>, outside every bucket (for
    /// <c>sluice run</c>, which matches the pipeline on the path's tail).</summary>
    public string WritePaymentsFile(string name, int rows, int seed)
    {
        var path = Path.Combine(Home, "payments", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        PaymentsCsv.Write(path, rows, seed);
        return path;
    }

    public PipelineCatalog Catalog() => PipelineLoader.LoadDirectory(Settings.PipelinesDirectory);

    /// <summary>Starts the serve machinery in this process: folder trigger (optional) and workers.</summary>
    /// <param name="log">Where the host's log lines go from info up (e.g. <see cref="LogLines"/>); none when null.</param>
    public SluiceHost StartHost(int workers = 2, bool watch = true, TextWriter? log = null)
    {
        var host = SluiceHost.Create(ControlPlane, Settings, Catalog(),
            new JobLog(null, log is null ? LogLevel.Error : LogLevel.Info, json: false, log ?? TextWriter.Null));
        host.Start(new WorkerOptions { Workers = workers, Lease = Settings.Lease, Poll = TimeSpan.FromMilliseconds(200) }, watch);
        _hosts.Add(host);
        return host;
    }

    /// <summary>Writes a file into a bucket atomically (written beside it, then renamed in).</summary>
    public string Drop(string bucket, string key, string content)
    {
        var path = Path.Combine(Settings.BucketsRoot, bucket, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = Path.Combine(Home, Guid.NewGuid().ToString("N"));
        File.WriteAllText(temp, content);
        File.Move(temp, path);
        return path;
    }

    /// <summary>Copies <paramref name="file"/> into the inbox under <paramref name="key"/>, atomically (copied beside it,
    /// then renamed in); its path in the bucket.</summary>
    public string DropCopy(string key, string file)
    {
        var path = Path.Combine(Settings.BucketsRoot, "inbox", key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = Path.Combine(Home, Guid.NewGuid().ToString("N"));
        File.Copy(file, temp);
        File.Move(temp, path);
        return path;
    }

    /// <summary>Writes a payments CSV of <paramref name="rows"/> rows into the inbox under <paramref name="key"/>, atomically
    /// (written beside it, then renamed in); its path and what it holds.</summary>
    public (string Path, PaymentsCsv.Summary Summary) DropPayments(string key, long rows, int seed)
    {
        var path = Path.Combine(Settings.BucketsRoot, "inbox", key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = Path.Combine(Home, Guid.NewGuid().ToString("N"));
        var summary = PaymentsCsv.Write(temp, rows, seed);
        File.Move(temp, path);
        return (path, summary);
    }

    /// <summary>Waits (polling the control plane, with a deadline) until <paramref name="count"/> jobs exist and have all ended.</summary>
    public async Task<IReadOnlyList<JobView>> WaitForJobsAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        IReadOnlyList<JobView> jobs = [];
        await UntilAsync(async () => (jobs = await ControlPlane.Jobs.ListAsync(null, null, 10_000, cts.Token)).Count >= count,
            timeout ?? TimeSpan.FromSeconds(90), $"{count} job(s) to be created");
        await JobWaiter.WaitAsync(ControlPlane, jobs.Select(j => j.Id).ToArray(), TimeSpan.FromMilliseconds(50), cts.Token);
        return await ControlPlane.Jobs.ListAsync(null, null, 10_000, cts.Token);
    }

    /// <summary>
    /// Polls <paramref name="holds"/> until it is true, for state that no signal announces (a row in the control plane, a
    /// session waiting on a lock); fails after <paramref name="timeout"/> naming <paramref name="what"/> was awaited.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> holds, TimeSpan timeout, string what)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!await holds())
        {
            try { await Task.Delay(20, deadline.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {what}"); }
        }
    }

    /// <summary>Waits (with a deadline) until <paramref name="countSql"/> counts at least one row.</summary>
    public Task UntilAnyAsync(string countSql, TimeSpan timeout, params object[] args) =>
        UntilAsync(async () => await ScalarAsync<long>(countSql, args) > 0, timeout, countSql);

    /// <summary>Waits (with a deadline) until a session of the test database waits on a lock.</summary>
    public Task UntilASessionWaitsOnALockAsync(TimeSpan timeout) => UntilAnyAsync(
        "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'", timeout);

    /// <summary>Waits (with a deadline) until the job has no task queued or running, then returns it as users see it.</summary>
    public async Task<JobView> WaitForJobAsync(Guid id, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        await JobWaiter.WaitAsync(ControlPlane, [id], TimeSpan.FromMilliseconds(50), cts.Token);
        return (await ControlPlane.Jobs.GetViewAsync(id, cts.Token))!;
    }

    public Task<T> ScalarAsync<T>(string sql, params object[] args) => ScalarInAsync<T>(ConnectionString, sql, args);

    /// <summary>One value from a query on another database of the test server (a pipeline's own target database).</summary>
    public static async Task<T> ScalarInAsync<T>(string connectionString, string sql, params object[] args)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)Convert.ChangeType((await cmd.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs SQL (DDL, inserts) against the test database.</summary>
    public Task ExecuteAsync(string sql) => ExecuteInAsync(ConnectionString, sql);

    /// <summary>Runs SQL against another database of the test server (a pipeline's own target database).</summary>
    public static async Task ExecuteInAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var h in _hosts) await h.DisposeAsync();
        await ControlPlane.DisposeAsync();
        try { await PostgresFixture.DropDatabaseAsync(ConnectionString); } catch (NpgsqlException) { /* dropped a day later by the next run */ }
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { }
    }
}
