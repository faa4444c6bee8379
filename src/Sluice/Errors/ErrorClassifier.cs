using Npgsql;

namespace Sluice.Errors;

/// <summary>Sorts any exception into transient (retry with backoff) or terminal (fail the job now), with a stable code.</summary>
public static class ErrorClassifier
{
    public static SluiceException Classify(Exception ex) => ex switch
    {
        SluiceException s => s,
        PostgresException pg => new SluiceException(
            $"postgres.{pg.SqlState}", $"PostgreSQL error {pg.SqlState}: {pg.MessageText}{(pg.Detail is { Length: > 0 } d ? " (" + d + ")" : "")}",
            IsTransientSqlState(pg.SqlState), pg),
        // Npgsql's command timeout (30 s) ends a statement the server has not answered: most often one waiting on a
        // lock another session holds (LOCK TABLE, a long transaction on the target table). Not a lost connection.
        NpgsqlException { InnerException: TimeoutException } npg => new SluiceException("postgres.timeout",
            "PostgreSQL did not answer within the command timeout: the statement may be waiting on a lock another session " +
            "holds on the table (see pg_locks), or the server is overloaded", transient: true, npg),
        NpgsqlException npg => new SluiceException("postgres.connection", $"PostgreSQL connection problem: {npg.Message}", transient: true, npg),
        TimeoutException t => new SluiceException("io.timeout", t.Message, transient: true, t),
        FileNotFoundException f => new SluiceException("io.not_found", f.Message, transient: false, f),
        DirectoryNotFoundException d => new SluiceException("io.not_found", d.Message, transient: false, d),
        UnauthorizedAccessException u => new SluiceException("io.permission", u.Message, transient: false, u),
        IOException io => new SluiceException("io.error", io.Message, transient: true, io),
        HttpRequestException h => new SluiceException("http.error", h.Message, transient: true, h),
        _ => new SluiceException("internal." + ex.GetType().Name, ex.Message, transient: false, ex),
    };

    /// <summary>
    /// Connection exceptions (08), serialization failure and deadlock (40001, 40P01), server shutting down or
    /// restarting (57P01..57P03), insufficient resources (53) and lock timeouts (55P03) may pass when retried.
    /// </summary>
    public static bool IsTransientSqlState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) ||
        sqlState is "40001" or "40P01" or "57P01" or "57P02" or "57P03" or "55P03" ||
        sqlState.StartsWith("53", StringComparison.Ordinal);
}
