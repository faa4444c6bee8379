using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Control;

/// <summary>
/// The audit log (<c>sluice.audit_log</c>): who did what, when and from where — every mutating API call, allowed
/// or refused, and every key change from the command line. Readable by admins through the API.
/// </summary>
public sealed class AuditLog(NpgsqlDataSource db)
{
    /// <summary>One recorded action.</summary>
    public sealed record Entry(
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("at")] DateTime At,
        [property: JsonPropertyName("actor")] string Actor,
        [property: JsonPropertyName("role")] string? Role,
        [property: JsonPropertyName("action")] string Action,
        [property: JsonPropertyName("target")] string? Target,
        [property: JsonPropertyName("source")] string Source,
        [property: JsonPropertyName("status")] int? Status,
        [property: JsonPropertyName("detail")] JsonNode? Detail);

    /// <summary>
    /// Records one action. <paramref name="detail"/> must hold no secrets. Control characters in any text are stored
    /// escaped (<c>\u0000</c> as those six characters): a refused call's values are whatever the caller sent, and
    /// PostgreSQL cannot store a NUL, yet the entry must be written.
    /// </summary>
    public async Task RecordAsync(string actor, string? role, string action, string? target, string source, int? status,
        JsonNode? detail, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "insert into sluice.audit_log (actor, role, action, target, source, status, detail) values ($1, $2, $3, $4, $5, $6, $7::jsonb)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = Escape(actor) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)Escape(role) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Escape(action) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)Escape(target) ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Escape(source) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)Escape(detail)?.ToJsonString() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    private static string? Escape(string? text) =>
        text is null || !text.Any(char.IsControl)
            ? text
            : string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    /// <summary>A copy of <paramref name="node"/> with every string and property name escaped.</summary>
    private static JsonNode? Escape(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(Escape(p.Key), Escape(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Escape).ToArray()),
        JsonValue v when v.TryGetValue<string>(out var text) => JsonValue.Create(Escape(text)),
        _ => node?.DeepClone(),
    };

    /// <summary>The newest entries first, those before <paramref name="beforeId"/> when given (for paging).</summary>
    public async Task<IReadOnlyList<Entry>> ListAsync(int limit, long? beforeId, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "select id, at, actor, role, action, target, source, status, detail::text from sluice.audit_log " +
            "where ($1::bigint is null or id < $1) order by id desc limit $2");
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)beforeId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
        var entries = new List<Entry>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            entries.Add(new(r.GetInt64(0), r.GetDateTime(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.GetString(6), r.IsDBNull(7) ? null : r.GetInt32(7),
                r.IsDBNull(8) ? null : JsonNode.Parse(r.GetString(8))));
        return entries;
    }
}
