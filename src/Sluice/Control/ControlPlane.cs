using Npgsql;
using Sluice.Configuration;
using Sluice.Errors;
using Sluice.Postgres;
using Sluice.Postgres.Embedded;

namespace Sluice.Control;

/// <summary>
/// The PostgreSQL database that coordinates Sluice: jobs, stages, the task queue and the events outbox,
/// all in schema <c>sluice</c>. Opening it starts the embedded server when no URL is configured, and applies migrations.
/// </summary>
public sealed class ControlPlane : IAsyncDisposable
{
    private ControlPlane(NpgsqlDataSource db, NpgsqlDataSource loads, string connectionString)
    {
        DataSource = db;
        Loads = loads;
        ConnectionString = connectionString;
        Jobs = new JobStore(db);
        Tasks = new TaskQueue(db);
        ChunkTallies = new ChunkTallies(db);
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>
    /// Connections for loads into the control plane's database (the default target), apart from the control plane's
    /// own: a pool hands out its least recently used idle connection, so among the control plane's many connections
    /// every load used to land on a different server process. A server process's first large COPY is slow (measured
    /// with one client: 200,000 rows took 0.42 s on a new connection every time against 0.18 s on one that had loaded
    /// before), and a pool of the loads' own keeps them on as few processes as loads run at once, all warm.
    /// </summary>
    public NpgsqlDataSource Loads { get; }
    /// <summary>Also the default load target.</summary>
    public string ConnectionString { get; }
    public JobStore Jobs { get; }
    public TaskQueue Tasks { get; }
    public ChunkTallies ChunkTallies { get; }

    public static async Task<ControlPlane> OpenAsync(SluiceSettings settings, CancellationToken ct)
    {
        var cs = settings.DatabaseUrl is { } url
            ? DatabaseUrl.ToConnectionString(url)
            : await EmbeddedPostgres.For(settings.Home).EnsureRunningAsync(ct);
        return await OpenAsync(cs, ct);
    }

    public static async Task<ControlPlane> OpenAsync(string connectionString, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "sluice";
        // The control plane runs the same few short statements for every stage of every job (loads have a pool of their own).
        var db = ReusablePool.Build(builder.ConnectionString, maxPreparedStatements: 64);
        try
        {
            await MigrationRunner.MigrateAsync(db, ct);
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException && e is not PostgresException)
        {
            await db.DisposeAsync();
            throw new SluiceException("postgres.unreachable",
                $"cannot reach PostgreSQL at {DatabaseUrl.Describe(builder.ConnectionString)} ({e.InnerException?.Message ?? e.Message}); " +
                "start the server or fix SLUICE_DATABASE_URL (unset it to use the embedded server).", transient: true, e);
        }
        catch (PostgresException e)
        {
            await db.DisposeAsync();
            throw new SluiceException("postgres.setup",
                $"PostgreSQL at {DatabaseUrl.Describe(builder.ConnectionString)} refused the control-plane setup: {e.MessageText}; " +
                "the user needs the right to create schema 'sluice' in that database.", transient: false, e);
        }
        var loads = ReusablePool.Build(new NpgsqlConnectionStringBuilder(builder.ConnectionString) { ApplicationName = builder.ApplicationName + " load" }.ConnectionString,
            maxPreparedStatements: 32);
        return new ControlPlane(db, loads, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        try { await Loads.DisposeAsync(); }
        finally { await DataSource.DisposeAsync(); }
    }
}
