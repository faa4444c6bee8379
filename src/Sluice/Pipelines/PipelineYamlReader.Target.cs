using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Sluice.Pipelines;

// The schema and target sections: the parts that become PostgreSQL identifiers and DDL.
internal sealed partial class PipelineYamlReader
{
    private static readonly string[] TargetKeys = ["table", "mode", "key", "create", "database"];
    private static readonly string[] Modes = ["append", "replace", "upsert"];

    /// <summary>A schema read on its own (<see cref="PipelineLoader.ParseSchema"/>).</summary>
    public List<ColumnDefinition>? SchemaOf(YamlNode node) => Schema(node);

    private List<ColumnDefinition>? Schema(YamlNode? node)
    {
        if (node is null || YamlNodeReader.IsNull(node)) return null;
        if (node is not YamlMappingNode mapping)
        {
            r.Error(node, "schema", $"expected a mapping of column: type, as in schema: {{ id: bigint not null }}, found {YamlNodeReader.Describe(node)}");
            return null;
        }
        if (mapping.Children.Count == 0)
        {
            r.Error(node, "schema", "declares no columns; list them, or omit schema to infer the columns from a sample");
            return null;
        }

        var columns = new List<ColumnDefinition>();
        foreach (var (keyNode, typeNode) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } name })
            {
                r.Error(keyNode, "schema", $"column names must be plain names, found {YamlNodeReader.Describe(keyNode)}");
                continue;
            }
            var path = $"schema.{name}";
            if (IdentifierRules.CheckColumnName(name) is { } nameError) r.Error(keyNode, path, nameError);
            if (columns.Exists(c => c.Name == name)) r.Error(keyNode, path, $"duplicate column {MessageText.Quote(name)}");

            // column: type, or column: { type: ..., format: ..., decimal: ..., group: ... } for values written otherwise.
            var details = typeNode as YamlMappingNode;
            if (details is not null && r.Mapping(details, path, ColumnKeys) is null) continue;
            var typeAt = details is null ? typeNode : YamlNodeReader.Get(details, "type");
            var text = details is null ? r.Text(typeNode, path) : r.RequiredText(details, path, "type", $" (one of {ColumnTypeParser.AcceptedTypes})");
            if (text is null)
            {
                if (typeNode is YamlScalarNode) r.Error(typeNode, path, $"needs a type; accepted types: {ColumnTypeParser.AcceptedTypes}");
                continue;
            }
            var notNull = NotNullSuffix().Match(text);
            var typeText = notNull.Success ? text[..notNull.Index] : text;
            if (!ColumnTypeParser.TryParse(typeText, out var type, out var typeError))
            {
                r.Error(typeAt!, details is null ? path : $"{path}.type", typeError);
                continue;
            }
            columns.Add(new ColumnDefinition(name, type, Nullable: !notNull.Success, Format: details is null ? null : Format(details, path, type)));
        }
        return columns;
    }

    private static readonly string[] ColumnKeys = ["type", "format", "decimal", "group"];

    /// <summary>How a column's values are written, from its mapping (<see cref="ValueFormat"/>); null when it says nothing.</summary>
    private ValueFormat? Format(YamlMappingNode details, string path, ColumnType type)
    {
        var pattern = r.Text(YamlNodeReader.Get(details, "format"), $"{path}.format");
        var format = new ValueFormat(pattern, Separator(details, path, "decimal"), Separator(details, path, "group"));
        if (format == new ValueFormat()) return null;
        if (ValueFormat.Check(format, type) is not var (key, error)) return format;
        r.Error(YamlNodeReader.Get(details, key) ?? details, $"{path}.{key}", error);
        return null;
    }

    /// <summary>A separator: one character, or the word space.</summary>
    private char? Separator(YamlMappingNode details, string path, string key)
    {
        var node = YamlNodeReader.Get(details, key);
        var text = r.Text(node, $"{path}.{key}");
        if (text is null) return null;
        if (text.Equals("space", StringComparison.OrdinalIgnoreCase)) return ' ';
        if (text.Length == 1) return text[0];
        r.Error(node!, $"{path}.{key}", $"{MessageText.Quote(text)} is not a single character (write a space as space)");
        return null;
    }

    private TargetDefinition? Target(YamlMappingNode root, WorkflowKind workflow, ref List<ColumnDefinition>? schema)
    {
        if (workflow == WorkflowKind.Convert) return null; // a convert target is read by ConvertTargetSection
        var node = YamlNodeReader.Get(root, "target");
        var target = r.Mapping(node, "target", TargetKeys);
        if (target is null)
        {
            if (node is null || YamlNodeReader.IsNull(node))
                r.Error(node ?? root, "target", "is required for workflow load, as in target: { table: public.transactions }");
            return null;
        }

        var tableNode = YamlNodeReader.Get(target, "table");
        var tableText = r.RequiredText(target, "target", "table");
        (string Schema, string Table)? table = null;
        if (tableText is not null)
        {
            table = TableName(tableText, out var tableError);
            if (tableError is not null) r.Error(tableNode!, "target.table", tableError);
        }

        var mode = (LoadMode)(r.OneOf(YamlNodeReader.Get(target, "mode"), "target.mode", Modes) ?? 0);
        var keyNode = YamlNodeReader.Get(target, "key");
        var keys = new List<string>();
        var keyItems = r.TextList(keyNode, "target.key");
        foreach (var (key, keyItem, keyPath) in keyItems ?? [])
        {
            if (IdentifierRules.CheckIdentifier(key) is { } keyError) r.Error(keyItem, keyPath, keyError);
            else if (keys.Contains(key)) r.Error(keyItem, keyPath, $"column {MessageText.Quote(key)} is listed twice");
            else if (schema is not null && !schema.Exists(c => c.Name == key))
                r.Error(keyItem, keyPath, $"column {MessageText.Quote(key)} is not in schema; schema columns: {string.Join(", ", schema.Select(c => c.Name))}");
            else keys.Add(key);
        }
        if (mode == LoadMode.Upsert && keyItems is not { Count: > 0 })
            r.Error(keyNode ?? target, "target.key", "mode upsert needs the key columns that identify a row, as in key: [transaction_id]");
        if (schema is not null && keys.Count > 0)
            schema = schema.ConvertAll(c => keys.Contains(c.Name) ? c with { Nullable = false } : c);

        var create = r.Boolean(YamlNodeReader.Get(target, "create"), "target.create") ?? true;

        var databaseNode = YamlNodeReader.Get(target, "database");
        var database = r.Text(databaseNode, "target.database");
        // The value may hold a password: messages describe it, never repeat it.
        if (database is not null && !LooksLikeConnection(database))
        {
            r.Error(databaseNode!, "target.database",
                "expected a postgresql://user@host/db URL or a Host=...;Database=... connection string");
            database = null;
        }

        return table is { } t
            ? new TargetDefinition(t.Schema, t.Table, mode, keys.Count > 0 ? keys : null, create, database)
            : null;
    }

    private static bool LooksLikeConnection(string database) =>
        database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) ||
        database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
        (!database.Contains("://", StringComparison.Ordinal) && database.Contains('='));

    /// <summary>
    /// Splits <c>schema.table</c> or <c>table</c> (schema public). A part holding a dot is written in
    /// double quotes, with <c>""</c> for a quote inside: <c>"my.schema"."my""table"</c>.
    /// </summary>
    private static (string Schema, string Table)? TableName(string text, out string? error)
    {
        error = null;
        var parts = new List<string>();
        var i = 0;
        while (true)
        {
            string part;
            if (i < text.Length && text[i] == '"')
            {
                var sb = new System.Text.StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        error = $"{MessageText.Quote(text)} has an unclosed double quote";
                        return null;
                    }
                    if (text[i] == '"' && (i + 1 >= text.Length || text[i + 1] != '"')) break;
                    if (text[i] == '"') i++;
                    sb.Append(text[i++]);
                }
                i++;
                part = sb.ToString();
                if (i < text.Length && text[i] != '.')
                {
                    error = $"{MessageText.Quote(text)} has text after a closing double quote; write schema.table";
                    return null;
                }
            }
            else
            {
                var dot = text.IndexOf('.', i);
                var end = dot < 0 ? text.Length : dot;
                part = text[i..end];
                i = end;
            }
            parts.Add(part);
            if (i >= text.Length) break;
            i++; // the dot
        }

        if (parts.Count > 2)
        {
            error = $"{MessageText.Quote(text)} has {parts.Count} parts; write table or schema.table, quoting a part that holds a dot: \"my.schema\".table";
            return null;
        }
        foreach (var part in parts)
        {
            if (IdentifierRules.CheckIdentifier(part) is { } partError)
            {
                error = partError;
                return null;
            }
        }
        return parts.Count == 2 ? (parts[0], parts[1]) : ("public", parts[0]);
    }

    [GeneratedRegex(@"\s+not\s+null\s*\z", RegexOptions.IgnoreCase)]
    private static partial Regex NotNullSuffix();
}
