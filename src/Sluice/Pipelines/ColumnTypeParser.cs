using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Pipelines;

/// <summary>
/// Reads a column type as a pipeline's schema writes it (<c>numeric(14,2)</c>, <c>character varying(40)</c>,
/// <c>timestamp with time zone</c>...): PostgreSQL's spellings, case-insensitive, any whitespace.
/// </summary>
public static partial class ColumnTypeParser
{
    /// <summary>PostgreSQL's limit for varchar(n) and char(n).</summary>
    public const int MaxLength = 10_485_760;

    /// <summary>PostgreSQL's limit for numeric(p,s).</summary>
    public const int MaxPrecision = 1000;

    /// <summary>The accepted spellings, as listed in error messages.</summary>
    public const string AcceptedTypes =
        "text, varchar(n), character varying(n), char(n), character(n), smallint, int2, int, integer, int4, " +
        "bigint, int8, numeric(p,s), numeric(p), numeric, decimal(p,s), real, float4, double precision, float8, " +
        "double, boolean, bool, date, timestamp, timestamp without time zone, timestamptz, " +
        "timestamp with time zone, uuid, json, jsonb";

    private static readonly Dictionary<string, ColumnKind> Names = new(StringComparer.Ordinal)
    {
        ["text"] = ColumnKind.Text,
        ["varchar"] = ColumnKind.Varchar,
        ["character varying"] = ColumnKind.Varchar,
        ["char"] = ColumnKind.Char,
        ["character"] = ColumnKind.Char,
        ["smallint"] = ColumnKind.SmallInt,
        ["int2"] = ColumnKind.SmallInt,
        ["int"] = ColumnKind.Int,
        ["integer"] = ColumnKind.Int,
        ["int4"] = ColumnKind.Int,
        ["bigint"] = ColumnKind.BigInt,
        ["int8"] = ColumnKind.BigInt,
        ["numeric"] = ColumnKind.Numeric,
        ["decimal"] = ColumnKind.Numeric,
        ["real"] = ColumnKind.Real,
        ["float4"] = ColumnKind.Real,
        ["double precision"] = ColumnKind.Double,
        ["float8"] = ColumnKind.Double,
        ["double"] = ColumnKind.Double,
        ["boolean"] = ColumnKind.Boolean,
        ["bool"] = ColumnKind.Boolean,
        ["date"] = ColumnKind.Date,
        ["timestamp"] = ColumnKind.Timestamp,
        ["timestamp without time zone"] = ColumnKind.Timestamp,
        ["timestamptz"] = ColumnKind.TimestampTz,
        ["timestamp with time zone"] = ColumnKind.TimestampTz,
        ["uuid"] = ColumnKind.Uuid,
        ["json"] = ColumnKind.Json,
        ["jsonb"] = ColumnKind.Jsonb,
    };

    /// <summary>Parses <paramref name="text"/> or throws <see cref="FormatException"/> saying what is accepted.</summary>
    public static ColumnType Parse(string text) =>
        TryParse(text, out var type, out var error) ? type : throw new FormatException(error);

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says why and what is accepted.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out ColumnType? type, [NotNullWhen(false)] out string? error)
    {
        type = null;
        var match = Shape().Match(text);
        var name = match.Success
            ? string.Join(' ', match.Groups["name"].Value.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            : "";
        if (!Names.TryGetValue(name, out var kind))
        {
            error = $"unknown type {MessageText.Quote(text.Trim())}; accepted types: {AcceptedTypes}";
            return false;
        }

        var first = match.Groups["first"];
        var second = match.Groups["second"];
        switch (kind)
        {
            case ColumnKind.Varchar or ColumnKind.Char:
                if (second.Success) return Fail($"{name} takes one length, as in {name}(40)", out error);
                if (!first.Success)
                {
                    // Bare varchar is unbounded and bare char is char(1), as in PostgreSQL.
                    type = new ColumnType(kind, Length: kind == ColumnKind.Char ? 1 : null);
                    break;
                }
                if (!TryNumber(first.Value, 1, MaxLength, out var length))
                    return Fail($"length of {name} must be a whole number from 1 to {MaxLength}, not '{first.Value}'", out error);
                type = new ColumnType(kind, Length: length);
                break;

            case ColumnKind.Numeric:
                if (!first.Success)
                {
                    type = new ColumnType(kind);
                    break;
                }
                if (!TryNumber(first.Value, 1, MaxPrecision, out var precision))
                    return Fail($"precision of {name} must be a whole number from 1 to {MaxPrecision}, not '{first.Value}'", out error);
                var scale = 0;
                if (second.Success && !TryNumber(second.Value, 0, precision, out scale))
                    return Fail($"scale of {name}({precision},s) must be a whole number from 0 to {precision}, not '{second.Value}'", out error);
                type = new ColumnType(kind, Precision: precision, Scale: scale);
                break;

            default:
                if (first.Success) return Fail($"type {name} takes no arguments", out error);
                type = new ColumnType(kind);
                break;
        }

        error = null;
        return true;
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    private static bool TryNumber(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    [GeneratedRegex(@"\A\s*(?<name>[A-Za-z][A-Za-z0-9]*(?:\s+[A-Za-z][A-Za-z0-9]*)*)\s*(?:\(\s*(?<first>[^,()\s]*)\s*(?:,\s*(?<second>[^,()\s]*)\s*)?\))?\s*\z")]
    private static partial Regex Shape();
}
