using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Sluice.Pipelines;

/// <summary>
/// Turns YAML text into the root mapping of one pipeline, reporting syntax errors and duplicate keys.
/// </summary>
/// <remarks>
/// A first pass walks the parser's events: YamlStream reports a duplicate key without saying under which
/// key it sits, and some malformed input (an unclosed flow list) surfaces as an exception without a
/// position. Walking the events ourselves gives both a key path and the last good position.
/// A duplicate key is reported and then left out (its value with it), so the first occurrence is the one
/// read and every other problem of the file is still reported in the same pass.
/// </remarks>
internal static class YamlPipelineDocument
{
    /// <summary>
    /// The deepest nesting of mappings and lists accepted. A real pipeline nests four or five levels; the limit stops
    /// hostile input (thousands of '[') before the node tree is built, whose cost grows with the square of the depth.
    /// </summary>
    public const int MaxNesting = 32;

    public static YamlMappingNode? Load(string text, YamlNodeReader reader)
    {
        var duplicates = new HashSet<long>();
        if (!Scan(text, reader, duplicates)) return null;

        var stream = new YamlStream();
        try
        {
            stream.Load(new WithoutDuplicateKeys(new Parser(new StringReader(text)), duplicates));
        }
        catch (YamlException e)
        {
            reader.Error(e.Start, "", $"invalid YAML: {e.Message}");
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            reader.Error(Mark.Empty, "", "file is empty; expected a pipeline (name, on, target...)");
            return null;
        }
        if (stream.Documents.Count > 1)
        {
            reader.Error(stream.Documents[1].RootNode, "", $"one pipeline per file, found {stream.Documents.Count} documents separated by ---");
            return null;
        }
        var root = stream.Documents[0].RootNode;
        if (root is not YamlMappingNode mapping)
        {
            reader.Error(root, "", $"expected a pipeline mapping (name, on, target...), found {YamlNodeReader.Describe(root)}");
            return null;
        }
        return mapping;
    }

    /// <summary>
    /// False when the text cannot be loaded (a syntax error, reported). Each duplicate key is reported and the position
    /// of its text is added to <paramref name="duplicates"/>.
    /// </summary>
    private static bool Scan(string text, YamlNodeReader reader, HashSet<long> duplicates)
    {
        var parser = new Parser(new StringReader(text));
        var frames = new Stack<Frame>();
        var lastGood = new Mark(1, 1, 1);
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                lastGood = current.End;
                switch (current)
                {
                    case Scalar scalar when frames.TryPeek(out var top) && top.Keys is { } keys && top.ExpectingKey:
                        var path = YamlNodeReader.Path(top.Path, scalar.Value);
                        if (keys.TryGetValue(scalar.Value, out var first))
                        {
                            var what = top.Path == "schema" ? "column" : "key";
                            reader.Error(scalar.Start, path,
                                $"duplicate {what} {MessageText.Quote(scalar.Value)} (first at line {first.Line}); remove one of them " +
                                $"(the other errors listed are those of the one at line {first.Line})");
                            duplicates.Add(scalar.Start.Index);
                        }
                        else
                        {
                            keys[scalar.Value] = scalar.Start;
                        }
                        top.CurrentKey = scalar.Value;
                        top.ExpectingKey = false;
                        break;
                    case Scalar or AnchorAlias:
                        Completed(frames);
                        break;
                    case MappingStart or SequenceStart when frames.Count >= MaxNesting:
                        reader.Error(current.Start, frames.Peek().Path,
                            $"nesting is deeper than {MaxNesting} levels of mappings and lists; a pipeline needs only a few");
                        return false;
                    case MappingStart or SequenceStart:
                        var flow = current is MappingStart { Style: MappingStyle.Flow } or SequenceStart { Style: SequenceStyle.Flow };
                        frames.Push(new Frame(ChildPath(frames), current is MappingStart, flow ? current.Start : null));
                        break;
                    case MappingEnd or SequenceEnd:
                        frames.Pop();
                        Completed(frames);
                        break;
                }
            }
        }
        catch (YamlException e) when (e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase) && TabIndented(text, e.Start.Line) is { } line)
        {
            // YamlDotNet reports a tab that indents a line at the end of the text before it.
            reader.Error(new Mark(0, line, 1), "", "invalid YAML: a tab indents this line; YAML indents with spaces only");
            return false;
        }
        catch (YamlException e)
        {
            reader.Error(e.Start, "", $"invalid YAML: {e.Message}");
            return false;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet throws this without a position on some unclosed flow collections ("{ a: 1"
            // then a new line): point at the innermost '{' or '[' still open, the likely culprit.
            var open = frames.FirstOrDefault(f => f.FlowStart is not null);
            if (open is not null)
                reader.Error(open.FlowStart!.Value, open.Path, $"invalid YAML: this '{(open.Keys is null ? '[' : '{')}' is never closed");
            else
                reader.Error(lastGood, "", "invalid YAML: unexpected text after this point");
            return false;
        }
        return true;
    }

    /// <summary>The first line, from <paramref name="fromLine"/> (1-based) on, whose indentation holds a tab; null when none
    /// does.</summary>
    private static int? TabIndented(string text, long fromLine)
    {
        var lines = text.Split('\n');
        for (var i = (int)Math.Max(0, fromLine - 1); i < lines.Length; i++)
        {
            var indent = lines[i].AsSpan(0, lines[i].Length - lines[i].AsSpan().TrimStart(" \t").Length);
            if (indent.Contains('\t')) return i + 1;
        }
        return null;
    }

    private static string ChildPath(Stack<Frame> frames)
    {
        if (!frames.TryPeek(out var parent)) return "";
        if (parent.Keys is null) return $"{parent.Path}[{parent.Index}]";
        return parent.ExpectingKey ? parent.Path : YamlNodeReader.Path(parent.Path, parent.CurrentKey);
    }

    /// <summary>A node finished inside the top frame: a value was read, or a complex key.</summary>
    private static void Completed(Stack<Frame> frames)
    {
        if (!frames.TryPeek(out var top)) return;
        if (top.Keys is null)
        {
            top.Index++;
            return;
        }
        if (top.ExpectingKey) top.CurrentKey = "?";
        top.ExpectingKey = !top.ExpectingKey;
    }

    /// <summary>The parser's events without the keys at <paramref name="duplicates"/> and their values.</summary>
    private sealed class WithoutDuplicateKeys(IParser inner, HashSet<long> duplicates) : IParser
    {
        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            while (inner.MoveNext())
            {
                if (inner.Current is not Scalar key || !duplicates.Contains(key.Start.Index)) return true;
                SkipNode();
            }
            return false;
        }

        /// <summary>Moves past the next node, however deep: the value of a left-out key.</summary>
        private void SkipNode()
        {
            var depth = 0;
            while (inner.MoveNext())
            {
                depth += inner.Current switch
                {
                    MappingStart or SequenceStart => 1,
                    MappingEnd or SequenceEnd => -1,
                    _ => 0,
                };
                if (depth == 0) return;
            }
        }
    }

    private sealed class Frame(string path, bool isMapping, Mark? flowStart)
    {
        public string Path { get; } = path;
        public Mark? FlowStart { get; } = flowStart;
        public Dictionary<string, Mark>? Keys { get; } = isMapping ? new(StringComparer.Ordinal) : null;
        public bool ExpectingKey { get; set; } = true;
        public string CurrentKey { get; set; } = "";
        public int Index { get; set; }
    }
}
