using Npgsql;

namespace Sluice.Postgres;

/// <summary>
/// A connection pool for Sluice's own statements, which every job runs again and again on short transactions and which
/// leave no session state behind (temporary tables are dropped at commit, locks are transaction-scoped, LISTEN holds
/// its own connection). Connections are therefore not reset when they go back to the pool (measured on a burst of small
/// files, the DISCARD ALL of each reuse was about a third of all statements), and statements run twice are prepared
/// once per connection (planning the load's catalog and statistics queries cost more than running them).
/// </summary>
/// <remarks>
/// No transaction of Sluice's waits on its own process between statements for more than a moment, so one idle for
/// <see cref="IdleTransactionLimit"/> belongs to a process that stalled (stopped, paused, cut off) and whose lease is
/// running out: the server ends that session, and the locks it held — a table being created, an uncommitted ledger
/// row — stop blocking the worker that takes the task over (whose statements would otherwise wait until they time out).
/// </remarks>
public static class ReusablePool
{
    public static readonly TimeSpan IdleTransactionLimit = TimeSpan.FromSeconds(10);

    public static NpgsqlDataSource Build(string connectionString, int maxPreparedStatements)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString)
        {
            NoResetOnClose = true, MaxAutoPrepare = maxPreparedStatements, AutoPrepareMinUsages = 2,
            // The server's detail names the row at fault ("Key (transaction_id)=(15000) already exists"): what a user
            // needs to fix a file. It becomes part of the job's error, and so of its events, report and notifications,
            // which show the file's rows anyway (rejects.csv carries the rejected rows whole).
            IncludeErrorDetail = true,
        };
        b.Options = $"{b.Options} -c idle_in_transaction_session_timeout={(int)IdleTransactionLimit.TotalMilliseconds}".Trim();
        return new NpgsqlDataSourceBuilder(b.ConnectionString).Build();
    }
}
