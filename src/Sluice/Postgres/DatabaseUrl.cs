using Npgsql;
using Sluice.Errors;

namespace Sluice.Postgres;

/// <summary>Turns <c>postgresql://user:pass@host:port/db?sslmode=require</c> or an Npgsql connection string into a connection string.</summary>
public static class DatabaseUrl
{
    public static string ToConnectionString(string urlOrConnectionString)
    {
        var text = urlOrConnectionString.Trim();
        if (!text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) &&
            !text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            try { return new NpgsqlConnectionStringBuilder(text).ConnectionString; }
            catch (ArgumentException e) { throw Invalid(e.Message); }
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)) throw Invalid("it is not a valid URL");
        var b = new NpgsqlConnectionStringBuilder();
        if (uri.Host.Length > 0) b.Host = Uri.UnescapeDataString(uri.Host.Trim('[', ']'));
        if (uri.Port > 0) b.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        var db = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (db.Length > 0) b.Database = db;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : "";
            try
            {
                switch (key.ToLowerInvariant())
                {
                    case "sslmode": b.SslMode = Enum.Parse<SslMode>(value.Replace("-", ""), ignoreCase: true); break;
                    case "host": b.Host = value; break; // ?host=/var/run/postgresql for a Unix socket
                    case "application_name": b.ApplicationName = value; break;
                    default: b[key] = value; break;
                }
            }
            catch (Exception e) when (e is ArgumentException or KeyNotFoundException)
            {
                throw Invalid($"query parameter '{key}' is not understood ({e.Message})");
            }
        }
        return b.ConnectionString;
    }

    /// <summary>A description of the server safe for logs: host, port and database, never the password.</summary>
    public static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{b.Host}:{b.Port}/{b.Database}";
    }

    private static SluiceException Invalid(string why) =>
        new("config.database_url", $"SLUICE_DATABASE_URL is not usable: {why}. Give a URL such as postgresql://user:password@localhost:5432/dbname or an Npgsql connection string.");
}
