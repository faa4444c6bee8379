using Npgsql;

namespace Sluice.Control;

/// <summary>Times taken from PostgreSQL's clock, the one leases, job ends and events are stamped with: a cutoff
/// computed on a machine whose clock is off would keep or remove the wrong rows.</summary>
internal static class DatabaseClock
{
    /// <summary><c>now() - <paramref name="period"/></c> on the database's clock.</summary>
    public static async Task<DateTime> AgoAsync(NpgsqlDataSource db, TimeSpan period, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select now() - make_interval(secs => $1)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = period.TotalSeconds });
        return (DateTime)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
