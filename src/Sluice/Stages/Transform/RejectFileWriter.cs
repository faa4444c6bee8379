using System.Text;

namespace Sluice.Stages.Transform;

/// <summary>
/// Writes <c>rejects.csv</c> (<c>line,column,reason,raw</c>). People open this file in
/// spreadsheets, so a cell starting with <c>= + - @</c> (or tab/CR) gets a leading single quote
/// to stop it from running as a formula (CSV injection).
/// </summary>
internal sealed class RejectFileWriter : IDisposable
{
    private readonly StreamWriter _writer;

    public RejectFileWriter(string path)
    {
        _writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16);
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

    public void Dispose() => _writer.Dispose();

    private void WriteCell(ReadOnlySpan<char> cell)
    {
        var defused = cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
        if (!defused && cell.IndexOfAny(",\"\r\n") < 0)
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

            _writer.Write(c);
        }

        _writer.Write('"');
    }
}
