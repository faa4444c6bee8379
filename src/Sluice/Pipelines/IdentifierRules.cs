using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Pipelines;

/// <summary>
/// What a name must be to survive the trip into PostgreSQL and onto disk. Table, schema and column
/// names may be any text because Sluice always quotes them; bucket names become folder names.
/// </summary>
internal static partial class IdentifierRules
{
    /// <summary>PostgreSQL's NAMEDATALEN - 1: longer names are silently truncated, so two columns could collide.</summary>
    public const int MaxIdentifierBytes = 63;

    public const string ReservedColumnPrefix = "_sluice";

    public const string PipelineNamePattern = "[a-z0-9][a-z0-9_-]{0,62}";
    public const string BucketNamePattern = "[a-z0-9][a-z0-9._-]{0,62}";

    /// <summary>Null when <paramref name="name"/> is a usable quoted identifier, else why not.</summary>
    public static string? CheckIdentifier(string name)
    {
        if (name.Length == 0) return "name must not be empty";
        if (name.Contains('\0')) return $"name {MessageText.Quote(name)} must not contain a NUL character";
        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxIdentifierBytes)
        {
            return $"name {MessageText.Quote(name)} is {bytes} bytes in UTF-8; PostgreSQL keeps at most " +
                   $"{MaxIdentifierBytes} bytes of an identifier and would truncate it";
        }
        return null;
    }

    public static string? CheckColumnName(string name)
    {
        if (CheckIdentifier(name) is { } error) return error;
        return name.StartsWith(ReservedColumnPrefix, StringComparison.OrdinalIgnoreCase)
            ? $"column name {MessageText.Quote(name)} is reserved: names starting with '{ReservedColumnPrefix}' are Sluice's own columns"
            : null;
    }

    public static string? CheckPipelineName(string name) => PipelineName().IsMatch(name)
        ? null
        : $"{MessageText.Quote(name)} is not a valid pipeline name: use 1 to 63 of a-z, 0-9, '_' and '-', starting with a letter or digit";

    public static string? CheckBucketName(string name) => BucketName().IsMatch(name)
        ? null
        : $"{MessageText.Quote(name)} is not a valid bucket name: use 1 to 63 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit";

    [GeneratedRegex(@"\A" + PipelineNamePattern + @"\z")]
    private static partial Regex PipelineName();

    // The first character is a letter or digit and '/' is never allowed, so a bucket name is always
    // one folder name and can never be "." or "..".
    [GeneratedRegex(@"\A" + BucketNamePattern + @"\z")]
    private static partial Regex BucketName();
}
