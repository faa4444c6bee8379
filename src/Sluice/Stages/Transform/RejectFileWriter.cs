using System.Text;

namespace Sluice.Stages.Transform;

/// <summary>
/// Writes <c>rejects.csv</c> (<c>line,column,reason,raw</c>). People open this file in
/// spreadsheets, so a cell starting with <c>= + - @</c> (or tab/CR) gets a leading single quote
/// to stop it from running as a formula (CSV injection).
/// </summary>
public sealed class RejectFileWriter : IDisposable
{
    private readonly StreamWriter _writer;

    public RejectFileWriter(string path)
    {
        // A small encoder buffer (the file stream under it buffers 64 KiB): one of 64 Ki chars would put 320 KiB on the
        // large-object heap for every transform, most of which reject nothing.
        _writer = new StreamWriter(Storage.FreshFile.Open(path), new UTF8Encoding(false), bufferSize: 1 << 12);
        _writer.Write("line,column,reason,raw\n");
    }

    public void Write(long line, string column, string reason, ReadOnlySpan<char> raw)
    {
        _writer.Write(line);
        _writer.Write(',');
        WriteCell(column);
        _writer.Write(',');
        WriteCell(reason);
        _writer.Write(',');
        WriteCell(raw);
        _writer.Write('\n');
    }

    public void Flush() => _writer.Flush();

    /// <summary>Joins the rejects files of a split file's chunks, in chunk order, into one with one header line.
    /// Line numbers already count from the start of the whole file.</summary>
    public static async Task CombineAsync(IEnumerable<string> parts, string into, CancellationToken ct)
    {
        await using var output = Storage.FreshFile.Open(into, options: FileOptions.Asynchronous);
        var first = true;
        foreach (var part in parts)
        {
            if (!File.Exists(part)) continue;
            await using var input = new FileStream(part, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            if (!first)
            {
                int b;
                while ((b = input.ReadByte()) >= 0 && b != '\n') { }
            }
            await input.CopyToAsync(output, ct);
            first = false;
        }
        if (first)
        {
            await output.WriteAsync("line,column,reason,raw\n"u8.ToArray(), ct);
        }
    }

    public void Dispose() => _writer.Dispose();

    private void WriteCell(ReadOnlySpan<char> cell)
    {
        var defused = cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
        if (!defused && cell.IndexOfAny(",\"\r\n") < 0 && !cell.Contains(Formats.Csv.InvalidByteMarkingFallback.Marker))
        {
            _writer.Write(cell);
            return;
        }

        _writer.Write('"');
        if (defused)
        {
            _writer.Write('\'');
        }

        foreach (var c in cell)
        {
            if (c == '"')
            {
                _writer.Write('"');
            }

            // Bytes the file's encoding could not read are marked with a noncharacter while parsing; a reader of the
            // rejects sees the replacement character instead, as an editor would show them.
            _writer.Write(c == Formats.Csv.InvalidByteMarkingFallback.Marker ? '\uFFFD' : c);
        }

        _writer.Write('"');
    }
}
