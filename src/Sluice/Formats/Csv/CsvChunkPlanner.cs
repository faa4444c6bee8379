using System.Text;
using Sluice.Pipelines;

namespace Sluice.Formats.Csv;

/// <summary>
/// Finds record boundaries in a CSV byte stream as it goes by (the download stage feeds it while copying), and cuts
/// the file into chunks of at most <see cref="ChunkPolicy.Rows"/> records and about <see cref="ChunkPolicy.Bytes"/>
/// bytes, always between records.
/// </summary>
/// <remarks>
/// Chunks come out even: while scanning, the file is cut into pieces of a sixteenth of the limits; at the end the
/// pieces are grouped into as few chunks as the limits allow, each about the same size (1,200,000 rows with a
/// 1,000,000-row limit give two chunks of about 600,000, which two workers finish together).
/// </remarks>
/// <remarks>
/// Quoting follows the reader's rules (Sylvan, standard style): a quote opens a quoted field only at the start of a
/// field; inside one, a doubled quote (or the escape character) is part of the value and any other quote closes it;
/// a quote in the middle of an unquoted field is literal. Line breaks inside quoted fields are therefore never cut.
/// Chunks are cut only after a line feed (LF or CRLF line ends); a file whose records end with a lone CR stays whole.
/// Works on bytes, so the encoding must encode ASCII as single bytes that never occur inside other characters
/// (UTF-8, Latin-1 and other single-byte encodings); <see cref="CanPlan"/> says whether a dialect qualifies.
/// </remarks>
public sealed class CsvChunkPlanner
{
    private readonly ChunkPolicy _policy;
    private readonly byte _quote, _escape, _delimiter;
    private readonly bool _header;
    private const int PiecesPerChunk = 16;
    private readonly List<CsvChunk> _pieces = [];
    private readonly long _pieceRows, _pieceBytes;

    private long _position;          // bytes consumed so far
    private long _lineBreaks;        // physical line breaks before _countedTo
    private long _countedTo;         // absolute offset up to which line breaks are counted
    private bool _lastWasCr;         // the byte before _countedTo was a CR (a CRLF may straddle two blocks)
    private bool _inQuotes, _quotePending, _escapePending;
    private byte _previous = (byte)'\n';
    private byte _lastByte = (byte)'\n';
    private long _headerBytes = -1;
    private long _chunkStart, _chunkFirstLine = 1, _chunkRecords;

    public CsvChunkPlanner(CsvOptions csv, ChunkPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(csv);
        if (!CanPlan(csv)) throw new ArgumentException("this CSV dialect cannot be split into chunks", nameof(csv));
        _policy = policy;
        _quote = (byte)csv.Quote;
        _escape = (byte)csv.Escape;
        _delimiter = (byte)csv.Delimiter;
        _header = csv.Header;
        if (!_header) _headerBytes = 0;
        _pieceRows = Math.Max(1, policy.Rows / PiecesPerChunk);
        _pieceBytes = Math.Max(1, policy.Bytes / PiecesPerChunk);
    }

    /// <summary>Whether files of this dialect can be split by scanning bytes.</summary>
    public static bool CanPlan(CsvOptions csv)
    {
        if (csv.Quote > 127 || csv.Escape > 127 || csv.Delimiter > 127 || csv.Delimiter is '\n' or '\r') return false;
        try
        {
            var encoding = Encoding.GetEncoding(csv.Encoding);
            return encoding is UTF8Encoding || encoding.CodePage is 20127 or 28591 or 1252;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Feeds the next bytes of the file.</summary>
    public void Append(ReadOnlySpan<byte> block)
    {
        if (_position == 0 && (block.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || block.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])))
        {
            // A UTF-16 byte order mark: this is not a byte-oriented file after all; keep it whole.
            _headerBytes = long.MinValue;
        }
        var start = _position;
        var i = 0;
        while (i < block.Length && _headerBytes != long.MinValue)
        {
            if (_quotePending)
            {
                _quotePending = false;
                if (block[i] == _quote) { i++; continue; }   // a doubled quote: still inside
                _inQuotes = false;                            // the quote closed the field; look at this byte normally
            }
            else if (_escapePending)
            {
                _escapePending = false;
                i++;
                continue;
            }

            if (_inQuotes)
            {
                var rest = block[i..];
                var at = _escape == _quote ? rest.IndexOf(_quote) : rest.IndexOfAny(_quote, _escape);
                if (at < 0) { i = block.Length; break; }
                i += at;
                if (block[i] == _quote && _escape == _quote)
                {
                    if (i + 1 == block.Length) { _quotePending = true; _previous = _quote; i++; break; }
                    if (block[i + 1] == _quote) { i += 2; continue; }
                    _inQuotes = false;
                    _previous = _quote;
                    i++;
                    continue;
                }
                if (block[i] == _escape) { if (i + 1 == block.Length) { _escapePending = true; i++; break; } i += 2; continue; }
                _inQuotes = false;   // a quote when a separate escape character is in use
                _previous = _quote;
                i++;
                continue;
            }

            var next = block[i..].IndexOfAny(_quote, (byte)'\n');
            if (next < 0)
            {
                _previous = block[^1];
                i = block.Length;
                break;
            }
            i += next;
            var before = i > 0 ? block[i - 1] : _previous;
            if (block[i] == _quote)
            {
                if (before == _delimiter || before == '\n' || before == '\r') _inQuotes = true;
                _previous = _quote;
                i++;
                continue;
            }
            _previous = (byte)'\n';
            RecordEnded(start + i + 1, block[..(i + 1)], start);
            i++;
        }
        if (block.IsEmpty) return;
        CountLines(block, start, start + block.Length);
        _position = start + block.Length;
        _lastByte = block[^1];
    }

    /// <summary>The plan for the whole file; one chunk when the file needs no splitting (or cannot be split).</summary>
    public CsvChunkPlan Complete()
    {
        if (_headerBytes < 0)
        {
            // No complete header line, or a UTF-16 file: processed whole.
            return new CsvChunkPlan(_position, 0, [new CsvChunk(0, 0, _position, 1, 0)]);
        }
        if (_position > _chunkStart)
        {
            var unterminated = _lastByte != '\n' ? 1 : 0;
            _pieces.Add(new CsvChunk(_pieces.Count, _chunkStart, _position - _chunkStart, _chunkFirstLine, _chunkRecords + unterminated));
        }
        if (_pieces.Count == 0)
        {
            _pieces.Add(new CsvChunk(0, _headerBytes, 0, _chunkFirstLine, 0));
        }
        return new CsvChunkPlan(_position, _headerBytes, Group());
    }

    /// <summary>Groups the pieces into the fewest chunks within the limits, cutting where each chunk is closest to an
    /// equal share (measured in records, or in bytes when bytes are what forces the split).</summary>
    private List<CsvChunk> Group()
    {
        var records = _pieces.Sum(p => p.Records);
        var bytes = _pieces.Sum(p => p.Length);
        var byRecords = CeilingDivide(records, _policy.Rows);
        var byBytes = CeilingDivide(bytes, _policy.Bytes);
        var count = Math.Max(1, Math.Max(byRecords, byBytes));
        Func<CsvChunk, long> size = byRecords >= byBytes ? p => p.Records : p => p.Length;
        var total = byRecords >= byBytes ? records : bytes;
        var chunks = new List<CsvChunk>();
        CsvChunk? current = null;
        long done = 0;
        foreach (var piece in _pieces)
        {
            if (current is not null)
            {
                var target = (double)total * (chunks.Count + 1) / count;
                var atShare = chunks.Count + 1 < count && Math.Abs(done - target) <= Math.Abs(done + size(piece) - target);
                var passesLimit = current.Records + piece.Records > _policy.Rows || current.Length + piece.Length > _policy.Bytes;
                if (!atShare && !passesLimit)
                {
                    current = current with { Length = current.Length + piece.Length, Records = current.Records + piece.Records };
                    done += size(piece);
                    continue;
                }
                chunks.Add(current);
            }
            current = piece with { Index = chunks.Count };
            done += size(piece);
        }
        chunks.Add(current!);
        return chunks;
    }

    private static long CeilingDivide(long a, long b) => b >= long.MaxValue / 2 ? (a > 0 ? 1 : 0) : (a + b - 1) / b;

    /// <summary>A record ended just before absolute offset <paramref name="end"/> (after its line feed).</summary>
    private void RecordEnded(long end, ReadOnlySpan<byte> blockUpToEnd, long blockStart)
    {
        if (_headerBytes < 0)
        {
            _headerBytes = end;
            _chunkStart = end;
            CountLines(blockUpToEnd, blockStart, end);
            _chunkFirstLine = _lineBreaks + 1;
            return;
        }
        _chunkRecords++;
        if (_chunkRecords < _pieceRows && end - _chunkStart < _pieceBytes) return;
        CountLines(blockUpToEnd, blockStart, end);
        _pieces.Add(new CsvChunk(_pieces.Count, _chunkStart, end - _chunkStart, _chunkFirstLine, _chunkRecords));
        _chunkStart = end;
        _chunkFirstLine = _lineBreaks + 1;
        _chunkRecords = 0;
    }

    /// <summary>Counts physical line breaks (LF, CRLF, lone CR — as the reader numbers lines) up to <paramref name="end"/>.</summary>
    private void CountLines(ReadOnlySpan<byte> block, long blockStart, long end)
    {
        if (end <= _countedTo) return;
        var span = block[(int)(_countedTo - blockStart)..(int)(end - blockStart)];
        long breaks = span.Count((byte)'\n') + span.Count((byte)'\r') - span.Count("\r\n"u8);
        if (_lastWasCr && span[0] == '\n') breaks--;
        _lineBreaks += breaks;
        _lastWasCr = span[^1] == '\r';
        _countedTo = end;
    }
}
