using System.Text.RegularExpressions;
using Npgsql;

namespace Sluice.Server;

/// <summary>The server's named read queries, one <c>Queries/name.sql</c> file each, embedded in the assembly.</summary>
internal static partial class ServerQueries
{
    private static readonly Control.EmbeddedSql Files = new(typeof(ServerQueries).Assembly, "Sluice.Server.Queries.");

    public static string Get(string name) => Files.Get(name);

    /// <summary>
    /// A file of several statements as one batch (one round trip, one result set each). Positional parameters cannot
    /// span statements, so each statement gets the leading <paramref name="parameters"/> up to the highest <c>$n</c> it uses.
    /// </summary>
    public static NpgsqlBatch Batch(NpgsqlDataSource db, string name, params object[] parameters)
    {
        var batch = db.CreateBatch();
        var statements = Get(name).Split(";\n")
            .Select(s => string.Join('\n', s.Split('\n').Where(l => !l.TrimStart().StartsWith("--", StringComparison.Ordinal))).Trim())
            .Where(s => s.Length > 0);
        foreach (var statement in statements)
        {
            var command = new NpgsqlBatchCommand(statement);
            var used = Placeholder().Matches(statement).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();
            foreach (var value in parameters.Take(used)) command.Parameters.Add(new NpgsqlParameter { Value = value });
            batch.BatchCommands.Add(command);
        }
        return batch;
    }

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex Placeholder();
}
