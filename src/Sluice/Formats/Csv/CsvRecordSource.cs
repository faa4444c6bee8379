using System.Text;
using Sluice.Pipelines;
using Sylvan.Data.Csv;

namespace Sluice.Formats.Csv;

/// <summary>
/// Reads the records of a CSV file one at a time with Sylvan.Data.Csv, exposing each field as a
/// span, the record's original text, and the 1-based physical line where the record starts.
/// </summary>
/// <remarks>
/// Sylvan numbers records, not lines, so lines are counted here: Sylvan hands out each record's raw
/// text including its line ending, and the line breaks in it (LF, CRLF or a lone CR; also those
/// inside quoted fields) are counted with vectorized span searches — a second pass over memory that
/// is already in cache, a few per cent of the parse time.
/// Bytes invalid for the encoding do not fail the file: the record holding them is reported through
/// <see cref="Problem"/> so the row is rejected with its line number (see <see cref="InvalidByteMarkingFallback"/>).
/// </remarks>
public sealed class CsvRecordSource : IDisposable
{
    // Records must fit in Sylvan's buffer; past this a "record" is almost surely a runaway quote.
    private const int MaxRecordChars = 16 * 1024 * 1024;

    private readonly CsvDataReader _reader;
    private readonly InvalidByteMarkingFallback _fallback;
    private readonly CsvOptions _options;
    // Which fields of the record at _quotedLine start with a quote (IsQuoted), of _quotedCount seen.
    private long _quotedLine = -1;
    private int _quotedCount = -1;
    private bool[] _quoted = [];
    private readonly string _invalidBytesReason;
    private long _nextLine;
    private bool _finished;

    private CsvRecordSource(CsvDataReader reader, InvalidByteMarkingFallback fallback, CsvOptions options, string encodingName, bool hasHeader,
        IReadOnlyList<string> header, long? firstLine)
    {
        _reader = reader;
        _options = options;
        _fallback = fallback;
        _invalidBytesReason = $"invalid {encodingName} bytes";
        HasHeader = hasHeader;
        Header = header;
        ExpectedFieldCount = header.Count;
        _nextLine = firstLine ?? (hasHeader ? 2 + header.Sum(CountLineBreaks) : 1);
    }

    /// <summary>Whether the first line was read as a header.</summary>
    public bool HasHeader { get; }

    /// <summary>The header names, or <c>column_1..n</c> when the file has no header.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Fields every record must have: the header's count, or the first record's.</summary>
    public int ExpectedFieldCount { get; }

    /// <summary>The 1-based physical line where the current record starts.</summary>
    public long Line { get; private set; }

    /// <summary>Fields in the current record.</summary>
    public int FieldCount { get; private set; }

    /// <summary>Why the current record cannot be used as a row (wrong field count, invalid bytes), or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>The current record's original text without its final line ending (empty when unknown).</summary>
    public ReadOnlySpan<char> RawRecord => _finished ? default : TrimLineEnd(_reader.GetRawRecordSpan());

    /// <summary>The unescaped text of field <paramref name="ordinal"/> of the current record.</summary>
    public ReadOnlySpan<char> GetField(int ordinal) => _reader.GetFieldSpan(ordinal);

    /// <summary>Whether field <paramref name="ordinal"/> of the current record was written in quotes: a quoted value is
    /// never NULL, even when it reads as a null marker (PostgreSQL's CSV rule; <c>""</c> is the empty string). The
    /// record's text is scanned once, at the first question about it, so a wide row of empty fields costs one pass.</summary>
    public bool IsQuoted(int ordinal)
    {
        if (_quotedLine != Line || _quotedCount < 0)
        {
            _quotedLine = Line;
            _quotedCount = ScanQuotedFields();
        }
        return ordinal < _quotedCount && _quoted[ordinal];
    }

    /// <summary>Marks which fields of the current record start with a quote; returns how many fields were seen.</summary>
    private int ScanQuotedFields()
    {
        var raw = RawRecord;
        var (quote, delimiter, escape) = (_options.Quote, _options.Delimiter, _options.Escape);
        if (_quoted.Length < FieldCount) _quoted = new bool[Math.Max(FieldCount, 2 * _quoted.Length)];
        Array.Clear(_quoted);
        if (raw.IndexOf(quote) < 0) return FieldCount;
        var field = 0;
        var atStart = true;
        var inQuotes = false;
        for (var i = 0; i < raw.Length && field < _quoted.Length; i++)
        {
            var ch = raw[i];
            if (atStart)
            {
                atStart = false;
                if (ch == quote)
                {
                    _quoted[field] = true;
                    inQuotes = true;
                    continue;
                }
            }
            if (inQuotes)
            {
                if (ch == escape && escape != quote && i + 1 < raw.Length) { i++; continue; }
                if (ch == quote)
                {
                    if (escape == quote && i + 1 < raw.Length && raw[i + 1] == quote) { i++; continue; }
                    inQuotes = false;
                }
                continue;
            }
            if (ch == delimiter)
            {
                field++;
                atStart = true;
            }
        }
        return Math.Min(FieldCount, _quoted.Length);
    }

    /// <summary>
    /// A Parquet file given as CSV would be read as a header of binary garbage, and the error would say nothing of the
    /// real mistake. Its first bytes say what it is: looked at in the stream's own buffer, which the reader fills anyway.
    /// </summary>
    private static void RefuseParquet(Stream stream)
    {
        Span<byte> head = stackalloc byte[4];
        var read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = 0;
        if (read == 4 && head.SequenceEqual("PAR1"u8))
        {
            stream.Dispose();
            throw new CsvFileException("csv.not_csv", null,
                "the file is a Parquet file (it starts with PAR1), not CSV; read it as parquet (source.format: parquet in a pipeline, " +
                "--from parquet or a .parquet name in the command line).");
        }
    }

    /// <summary>Opens a file and reads its header (or, without header, peeks at the first record's width).</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="options">Its dialect.</param>
    /// <param name="chunk">When set, only this chunk's records are read (behind the file's header); lines keep
    /// their numbers in the whole file.</param>
    /// <exception cref="CsvFileException">The encoding is unknown or the file is empty.</exception>
    public static CsvRecordSource Open(string path, CsvOptions options, (long HeaderBytes, CsvChunk Chunk)? chunk = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var fallback = new InvalidByteMarkingFallback();
        Encoding encoding;
        try
        {
            encoding = Encoding.GetEncoding(options.Encoding, EncoderFallback.ExceptionFallback, fallback);
        }
        catch (ArgumentException)
        {
            throw new CsvFileException("csv.unknown_encoding", null,
                $"Encoding '{options.Encoding}' is not known; use utf-8, utf-16, latin1 or another .NET encoding name.");
        }

        Stream stream = chunk is { } c
            ? new FileSlicesStream(path, (0, c.HeaderBytes), (c.Chunk.Offset, c.Chunk.Length))
            : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        if (chunk is null) RefuseParquet(stream);
        var text = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        CsvDataReader reader;
        try
        {
            reader = CsvDataReader.Create(text, new CsvDataReaderOptions
            {
                HasHeaders = options.Header,
                Delimiter = options.Delimiter,
                Quote = options.Quote,
                Escape = options.Escape,
                CsvStyle = CsvStyle.Standard,
                BufferSize = 1 << 16,
                MaxBufferSize = MaxRecordChars,
            });
        }
        catch (CsvMissingHeadersException)
        {
            text.Dispose();
            throw new CsvFileException("csv.empty", 1, "The file is empty but a header line was expected; send a file with a header, or set header: false.");
        }
        catch (CsvRecordTooLargeException e) when (e.RowNumber > 0 || !options.Header)
        {
            // Sylvan reads the first record behind the header as it opens: that record, not the header, is too large.
            text.Dispose();
            throw RecordTooLarge(e.RowNumber + 1);
        }
        catch (Exception e) when (e is CsvFormatException or CsvRecordTooLargeException)
        {
            text.Dispose();
            throw new CsvFileException("csv.malformed_header", 1, $"The header line cannot be parsed: {e.Message}");
        }

        var header = new string[reader.FieldCount];
        for (var i = 0; i < header.Length; i++)
        {
            header[i] = options.Header ? reader.GetName(i) : $"column_{i + 1}";
        }

        var encodingName = encoding is UTF8Encoding ? "UTF-8" : encoding.WebName;
        return new CsvRecordSource(reader, fallback, options, encodingName, options.Header, header, chunk?.Chunk.FirstLine);
    }

    /// <summary>Moves to the next record; false at the end of the file. Blank lines of multi-column files are skipped, not counted as records.</summary>
    /// <exception cref="CsvFileException">Quoting is malformed, a quoted field is never closed, or a record is too large.</exception>
    public bool Read()
    {
        while (true)
        {
            if (_finished)
            {
                return false;
            }

            Line = _nextLine;
            Problem = null;
            try
            {
                if (!_reader.Read())
                {
                    _finished = true;
                    return false;
                }
            }
            catch (CsvRecordTooLargeException)
            {
                throw RecordTooLarge(Line);
            }
            catch (CsvFormatException e) when (e.Message.Contains("without a closing quote", StringComparison.Ordinal))
            {
                // Not a bad record to set aside: the quote swallowed every line after it (a closing quote followed by
                // anything but the delimiter or the line's end, such as `"abc" `, does not close the field), so
                // rejecting one record would lose those lines while the counts still added up. The file fails whole.
                throw new CsvFileException("csv.unterminated_quote", Line,
                    "A quoted field that starts in this record is never closed, so every line after it to the end of the file " +
                    "would be read as part of it. A closing quote must be followed by the delimiter or the end of the line " +
                    "(not by a space), and a quote inside a quoted field must be doubled; fix the file and send it again.");
            }
            catch (CsvFormatException e)
            {
                throw new CsvFileException("csv.malformed_quote", Line,
                    $"Malformed quoting ({e.Message}) — a quote inside a quoted field must be doubled.");
            }

            var raw = _reader.GetRawRecordSpan();
            _nextLine += Math.Max(1, CountLineBreaks(raw));
            FieldCount = _reader.RowFieldCount;
            // A blank line holds no value in a multi-column file (editors often leave one at the end),
            // so it is skipped and not counted. In a one-column file it is a record whose one field is
            // empty, as PostgreSQL's COPY reads it; skipping it there would drop a NULL row unseen.
            if (ExpectedFieldCount != 1 && FieldCount == 1 && _reader.GetFieldSpan(0).IsEmpty && TrimLineEnd(raw).IsEmpty)
            {
                continue;
            }

            if (_fallback.Count > 0 && raw.Contains(InvalidByteMarkingFallback.Marker))
            {
                Problem = _invalidBytesReason;
            }
            else if (FieldCount != ExpectedFieldCount)
            {
                Problem = $"expected {ExpectedFieldCount} fields, found {FieldCount}";
            }

            return true;
        }
    }

    private static CsvFileException RecordTooLarge(long line) =>
        new("csv.record_too_large", line,
            $"A record is longer than {MaxRecordChars:N0} characters, the most Sluice reads as one row: a field that long, or a quote " +
            "that is never closed so that the lines after it run together; fix the file, or load such values another way.");

    /// <summary>Closes the file.</summary>
    public void Dispose() => _reader.Dispose();

    private static int CountLineBreaks(string text) => CountLineBreaks(text.AsSpan());

    private static int CountLineBreaks(ReadOnlySpan<char> text)
    {
        var lf = text.Count('\n');
        var cr = text.Count('\r');
        return cr == 0 ? lf : lf + cr - text.Count("\r\n");
    }

    private static ReadOnlySpan<char> TrimLineEnd(ReadOnlySpan<char> raw) => raw.TrimEnd("\r\n");
}
