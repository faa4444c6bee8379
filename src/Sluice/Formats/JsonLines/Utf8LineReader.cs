namespace Sluice.Formats.JsonLines;

/// <summary>
/// Splits a UTF-8 stream into lines without decoding it: JSON Lines escapes line breaks inside strings, so every LF ends a
/// record. A UTF-8 BOM is skipped, a CR before the LF dropped. Lines are handed out as spans into one growing buffer.
/// </summary>
internal sealed class Utf8LineReader(Stream stream) : IDisposable
{
    private const int MaxLineBytes = 64 * 1024 * 1024;
    private byte[] _buffer = new byte[1 << 16];
    private int _start, _end;
    private bool _eof, _bomChecked;

    /// <summary>The 1-based number of the line last returned.</summary>
    public long Line { get; private set; }

    /// <summary>The next line without its line ending; false at the end of the stream.</summary>
    public bool TryRead(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0 || (_eof && _end > _start))
            {
                var length = newline >= 0 ? newline : _end - _start;
                line = _buffer.AsSpan(_start, length);
                _start += newline >= 0 ? length + 1 : length;
                if (line is [.., (byte)'\r']) line = line[..^1];
                if (!_bomChecked)
                {
                    _bomChecked = true;
                    if (line.StartsWith("\uFEFF"u8)) line = line[3..];
                    // Read on, its bytes would make every "line" a rejected one.
                    if (line.StartsWith("PAR1"u8))
                        throw new DataFileException("jsonl.not_json_lines", 1,
                            "the file is a Parquet file (it starts with PAR1), not JSON Lines; read it as Parquet (source.format: parquet).");
                }
                Line++;
                return true;
            }
            if (_eof)
            {
                line = default;
                return false;
            }
            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxLineBytes)
                throw new DataFileException("jsonl.line_too_long", Line + 1, $"line {Line + 1} is longer than {MaxLineBytes / (1024 * 1024)} MiB; most likely the file is not JSON Lines.");
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        var n = stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0) _eof = true;
        _end += n;
    }

    public void Dispose() => stream.Dispose();
}
