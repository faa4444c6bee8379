using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Npgsql;
using Sluice.Errors;

namespace Sluice.Control;

/// <summary>
/// API keys of the HTTP API. A key is <c>sluice_&lt;lookup&gt;_&lt;secret&gt;</c>: the lookup finds its row, the 32-byte
/// random secret proves possession. Only a salted SHA-256 of the secret is stored (the secret is random, so a slow
/// password hash would add nothing), compared in constant time. Nothing is cached: a revoked key fails on its next request.
/// </summary>
public sealed partial class ApiKeys(NpgsqlDataSource db)
{
    private const string Prefix = "sluice_";

    /// <summary>What a key may do; each role includes the ones before it.</summary>
    public enum Role
    {
        /// <summary>Reads jobs, logs, pipelines, events and metrics.</summary>
        Viewer = 1,
        /// <summary>Also uploads files and replays jobs.</summary>
        Operator = 2,
        /// <summary>Also manages keys and reads the audit log.</summary>
        Admin = 3,
    }

    /// <summary>A key as listed (never with its secret).</summary>
    public sealed record KeyInfo(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("role")] string Role,
        [property: JsonPropertyName("created_at")] DateTime CreatedAt,
        [property: JsonPropertyName("created_by")] string CreatedBy,
        [property: JsonPropertyName("last_used_at")] DateTime? LastUsedAt);

    /// <summary>A newly created key: the only time <see cref="Key"/> exists outside its holder's hands.</summary>
    public sealed record CreatedKey(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("role")] string Role,
        [property: JsonPropertyName("key")] string Key);

    /// <summary>Who a presented key belongs to.</summary>
    public sealed record Caller(string Name, Role Role);

    /// <summary>The lower-case role name used in storage, JSON and on the command line.</summary>
    public static string RoleName(Role role) => role.ToString().ToLowerInvariant();

    /// <summary>Parses <c>viewer</c>, <c>operator</c> or <c>admin</c>.</summary>
    public static Role ParseRole(string text) => text switch
    {
        "viewer" => Role.Viewer,
        "operator" => Role.Operator,
        "admin" => Role.Admin,
        _ => throw new SluiceException("key.role", $"role '{text}' is not one of viewer, operator, admin."),
    };

    /// <summary>Creates a key; fails with <c>key.exists</c> when a live key already has this name.</summary>
    public async Task<CreatedKey> CreateAsync(string name, Role role, string createdBy, CancellationToken ct)
    {
        if (!KeyName().IsMatch(name))
            throw new SluiceException("key.name", $"key name '{Storage.ObjectKey.Printable(name)}' must be 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit.");
        var lookup = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var salt = RandomNumberGenerator.GetBytes(16);
        await using var cmd = db.CreateCommand(
            "insert into sluice.api_keys (name, role, lookup, salt, hash, created_by) values ($1, $2, $3, $4, $5, $6)");
        foreach (var v in new object[] { name, RoleName(role), lookup, salt, Hash(salt, secret), createdBy })
            cmd.Parameters.Add(new NpgsqlParameter { Value = v });
        try { await cmd.ExecuteNonQueryAsync(ct); }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new SluiceException("key.exists", $"a key named '{name}' exists already; revoke it first or choose another name.");
        }
        return new CreatedKey(name, RoleName(role), $"{Prefix}{lookup}_{secret}");
    }

    /// <summary>Revokes the live key of this name; false when there is none.</summary>
    public async Task<bool> RevokeAsync(string name, string revokedBy, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "update sluice.api_keys set revoked_at = now(), revoked_by = $2 where name = $1 and revoked_at is null");
        cmd.Parameters.Add(new NpgsqlParameter { Value = name });
        cmd.Parameters.Add(new NpgsqlParameter { Value = revokedBy });
        return await cmd.ExecuteNonQueryAsync(ct) > 0;
    }

    /// <summary>The live keys, by name.</summary>
    public async Task<IReadOnlyList<KeyInfo>> ListAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(
            "select name, role, created_at, created_by, last_used_at from sluice.api_keys where revoked_at is null order by name");
        var keys = new List<KeyInfo>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            keys.Add(new(r.GetString(0), r.GetString(1), r.GetDateTime(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetDateTime(4)));
        return keys;
    }

    /// <summary>True when at least one live key exists (the API then requires one from every caller).</summary>
    public async Task<bool> AnyAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select exists (select 1 from sluice.api_keys where revoked_at is null)");
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The caller a presented key belongs to, or null for a malformed, unknown or revoked key.</summary>
    public async Task<Caller?> AuthenticateAsync(string presented, CancellationToken ct)
    {
        // sluice_ + 16 hex + _ + 43 base64url characters
        if (presented.Length != Prefix.Length + 16 + 1 + 43 || !presented.StartsWith(Prefix, StringComparison.Ordinal) ||
            presented[Prefix.Length + 16] != '_')
            return null;
        var lookup = presented.Substring(Prefix.Length, 16);
        var secret = presented[(Prefix.Length + 17)..];
        await using var cmd = db.CreateCommand(
            "select id, name, role, salt, hash from sluice.api_keys where lookup = $1 and revoked_at is null");
        cmd.Parameters.Add(new NpgsqlParameter { Value = lookup });
        long id;
        Caller caller;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) return null;
            var salt = (byte[])r.GetValue(3);
            if (!CryptographicOperations.FixedTimeEquals(Hash(salt, secret), (byte[])r.GetValue(4))) return null;
            id = r.GetInt64(0);
            caller = new Caller(r.GetString(1), ParseRole(r.GetString(2)));
        }
        // At most one write a minute per key: last use is for operators deciding what to revoke, not an access log.
        await using var touch = db.CreateCommand(
            "update sluice.api_keys set last_used_at = now() where id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')");
        touch.Parameters.Add(new NpgsqlParameter { Value = id });
        await touch.ExecuteNonQueryAsync(ct);
        return caller;
    }

    private static byte[] Hash(byte[] salt, string secret)
    {
        var bytes = new byte[salt.Length + Encoding.ASCII.GetByteCount(secret)];
        salt.CopyTo(bytes, 0);
        Encoding.ASCII.GetBytes(secret, bytes.AsSpan(salt.Length));
        return SHA256.HashData(bytes);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    private static partial Regex KeyName();
}
