using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Sluice.Formats.Vectors;

/// <summary>
/// Checks that a json or jsonb value is one JSON value (RFC 8259: an object, array, string, number, true, false or null,
/// with optional whitespace around it), as PostgreSQL requires, without building a document: the text is scanned
/// token by token and kept as it was written.
/// </summary>
internal static class JsonText
{
    /// <summary>How deep a value may nest. PostgreSQL nests json deeper than System.Text.Json's default of 64; its own
    /// stack limit is far beyond this.</summary>
    public const int MaxDepth = 1000;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Why <paramref name="text"/> is not valid JSON, or null when it is.</summary>
    public static string? Check(ReadOnlySpan<char> text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var rented = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        try
        {
            Span<byte> buffer = rented is null ? stackalloc byte[1024] : rented;
            var length = Encoding.UTF8.GetBytes(text, buffer);
            var reader = new Utf8JsonReader(buffer[..length], Options);
            while (reader.Read()) { }
            return null;
        }
        catch (JsonException e)
        {
            // The reader's own position suffix counts bytes from 0; the quoted value is the useful context.
            return $"{ColumnVector.Quote(text)} is not valid JSON: {e.Message.Split(" LineNumber:")[0].TrimEnd('.')}";
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
