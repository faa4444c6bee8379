using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Sluice.Pipelines;

/// <summary>
/// Reads typed values out of YAML nodes and records every problem with its file, position and key
/// path instead of stopping at the first, so a user sees all errors of a file at once.
/// </summary>
internal sealed class YamlNodeReader(string file)
{
    public string File => file;

    public List<PipelineError> Errors { get; } = [];

    public void Error(YamlNode node, string key, string message) => Error(node.Start, key, message);

    public void Error(Mark at, string key, string message) =>
        Errors.Add(new PipelineError(file, (int)at.Line, (int)at.Column, key, message));

    public static string Path(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    /// <summary>A plain <c>~</c>, <c>null</c> or nothing at all: the key is written but has no value.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    public static YamlNode? Get(YamlMappingNode mapping, string key)
    {
        foreach (var (k, v) in mapping.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && name == key) return v;
        }
        return null;
    }

    /// <summary>
    /// The mapping at <paramref name="node"/>, after reporting each key not in <paramref name="allowed"/>;
    /// null when absent or not a mapping.
    /// </summary>
    public YamlMappingNode? Mapping(YamlNode? node, string path, IReadOnlyList<string> allowed)
    {
        if (node is null || IsNull(node)) return null;
        if (node is not YamlMappingNode mapping)
        {
            Error(node, path, $"expected a mapping with keys {string.Join(", ", allowed)}, found {Describe(node)}");
            return null;
        }
        foreach (var key in mapping.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                Error(key, path, $"keys must be plain names, found {Describe(key)}");
            }
            else if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                Error(key, Path(path, name), $"unknown key {MessageText.Quote(name)}; allowed keys: {string.Join(", ", allowed)}");
            }
        }
        return mapping;
    }

    /// <summary>The scalar text at <paramref name="node"/>; null when absent, null-valued, or not a scalar (reported).</summary>
    public string? Text(YamlNode? node, string path)
    {
        if (node is null || IsNull(node)) return null;
        if (node is YamlScalarNode scalar) return scalar.Value ?? "";
        Error(node, path, $"expected a single value, found {Describe(node)}");
        return null;
    }

    /// <summary>The scalar under <paramref name="key"/>, reporting it when missing.</summary>
    public string? RequiredText(YamlMappingNode mapping, string path, string key, string hint = "")
    {
        var node = Get(mapping, key);
        if (node is null || IsNull(node))
        {
            Error(node ?? mapping, Path(path, key), "is required" + hint);
            return null;
        }
        return Text(node, Path(path, key));
    }

    public bool? Boolean(YamlNode? node, string path)
    {
        var text = Text(node, path);
        if (text is null) return null;
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
        if (text.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
        Error(node!, path, $"{MessageText.Quote(text)} is not true or false");
        return null;
    }

    public long? Integer(YamlNode? node, string path, long min, long max)
    {
        var text = Text(node, path);
        if (text is null) return null;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) &&
            value >= min && value <= max)
        {
            return value;
        }
        Error(node!, path, $"{MessageText.Quote(text)} is not a whole number from {min} to {max}");
        return null;
    }

    /// <summary>The index of the value in <paramref name="options"/>; null when absent or not one of them (reported).</summary>
    public int? OneOf(YamlNode? node, string path, IReadOnlyList<string> options)
    {
        var text = Text(node, path);
        if (text is null) return null;
        for (var i = 0; i < options.Count; i++)
        {
            if (string.Equals(options[i], text.Trim(), StringComparison.OrdinalIgnoreCase)) return i;
        }
        Error(node!, path, $"{MessageText.Quote(text)} is not one of {string.Join(", ", options)}");
        return null;
    }

    /// <summary>
    /// A list of strings, also accepting a single string as a list of one. Values are taken literally,
    /// even a plain <c>NULL</c> or an empty value; null when absent or malformed (reported).
    /// </summary>
    public List<(string Value, YamlNode Node, string Path)>? TextList(YamlNode? node, string path)
    {
        switch (node)
        {
            case null:
                return null;
            case YamlScalarNode scalar:
                return [(scalar.Value ?? "", scalar, path)];
            case YamlSequenceNode sequence:
                var items = new List<(string, YamlNode, string)>();
                var ok = true;
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    var item = sequence.Children[i];
                    if (item is YamlScalarNode s)
                    {
                        items.Add((s.Value ?? "", s, $"{path}[{i}]"));
                    }
                    else
                    {
                        Error(item, $"{path}[{i}]", $"expected a single value, found {Describe(item)}");
                        ok = false;
                    }
                }
                return ok ? items : null;
            default:
                Error(node, path, $"expected a value or a list of values, found {Describe(node)}");
                return null;
        }
    }

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => MessageText.Quote(s.Value ?? ""),
        _ => node.NodeType.ToString(),
    };
}
