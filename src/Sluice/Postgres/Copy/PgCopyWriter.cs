using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Sluice.Postgres.Copy;

/// <summary>
/// Writes PostgreSQL's binary COPY format (PGCOPY) into a stream: the header, then rows of
/// length-prefixed big-endian fields, then the trailer. Every value goes into one pooled
/// buffer that is flushed in large blocks, so writing a field never allocates.
/// </summary>
/// <remarks>
/// The writer does not know the column types; callers must write, for every field, exactly the
/// binary form that the column type's receive function expects (e.g. <c>int8recv</c> for bigint).
/// </remarks>
public sealed class PgCopyWriter : IDisposable
{
    // "PGCOPY\n\xff\r\n\0" spelled as bytes: a u8 string literal would encode \xff as two UTF-8 bytes.
    private static ReadOnlySpan<byte> Signature => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0];

    // 1 MiB keeps the number of write syscalls low without growing memory with the file.
    private const int DefaultBufferSize = Storage.Blocks.Size;

    private readonly Stream _stream;
    private byte[] _buffer;
    private int _position;
    private int _rowStart = -1;
    private bool _completed;

    /// <summary>Creates a writer and writes the PGCOPY header (no OIDs, no header extension).</summary>
    /// <param name="stream">The destination; not closed by the writer.</param>
    /// <param name="bufferSize">Bytes buffered before a write to <paramref name="stream"/>.</param>
    public PgCopyWriter(Stream stream, int bufferSize = DefaultBufferSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 4096);
        _stream = stream;
        _buffer = Storage.Blocks.Pool.Rent(bufferSize);
        Signature.CopyTo(_buffer);
        _position = Signature.Length;
        WriteRawInt32(0); // flags: no OIDs
        WriteRawInt32(0); // header extension length
    }

    /// <summary>Rows written so far; a row taken back with <see cref="CancelRow"/> is not counted.</summary>
    public long RowCount { get; private set; }

    /// <summary>Starts a row of <paramref name="fieldCount"/> fields.</summary>
    public void BeginRow(short fieldCount)
    {
        EnsureSpace(2);
        _rowStart = _position;
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_position), fieldCount);
        _position += 2;
        RowCount++;
    }

    /// <summary>
    /// Removes the row begun last, when a later field turns out to be invalid. Works only while the
    /// row is still in the buffer, which <see cref="EnsureSpace"/> guarantees by never flushing a
    /// partial row.
    /// </summary>
    public void CancelRow()
    {
        if (_rowStart < 0)
        {
            throw new InvalidOperationException("No row is in progress.");
        }

        _position = _rowStart;
        _rowStart = -1;
        RowCount--;
    }

    /// <summary>Marks the current row as complete, so that it may be flushed.</summary>
    public void EndRow() => _rowStart = -1;

    /// <summary>Writes a SQL NULL.</summary>
    public void WriteNull() => WriteLength(-1);

    /// <summary>Writes a smallint (<c>int2</c>).</summary>
    public void WriteInt16(short value)
    {
        var span = Reserve(4 + 2);
        BinaryPrimitives.WriteInt32BigEndian(span, 2);
        BinaryPrimitives.WriteInt16BigEndian(span[4..], value);
    }

    /// <summary>Writes an integer (<c>int4</c>).</summary>
    public void WriteInt32(int value)
    {
        var span = Reserve(4 + 4);
        BinaryPrimitives.WriteInt32BigEndian(span, 4);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], value);
    }

    /// <summary>Writes a bigint (<c>int8</c>).</summary>
    public void WriteInt64(long value)
    {
        var span = Reserve(4 + 8);
        BinaryPrimitives.WriteInt32BigEndian(span, 8);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], value);
    }

    /// <summary>Writes a real (<c>float4</c>).</summary>
    public void WriteFloat4(float value)
    {
        var span = Reserve(4 + 4);
        BinaryPrimitives.WriteInt32BigEndian(span, 4);
        BinaryPrimitives.WriteSingleBigEndian(span[4..], value);
    }

    /// <summary>Writes a double precision (<c>float8</c>).</summary>
    public void WriteFloat8(double value)
    {
        var span = Reserve(4 + 8);
        BinaryPrimitives.WriteInt32BigEndian(span, 8);
        BinaryPrimitives.WriteDoubleBigEndian(span[4..], value);
    }

    /// <summary>Writes a boolean (one byte, 1 or 0).</summary>
    public void WriteBoolean(bool value)
    {
        var span = Reserve(4 + 1);
        BinaryPrimitives.WriteInt32BigEndian(span, 1);
        span[4] = value ? (byte)1 : (byte)0;
    }

    /// <summary>Writes raw bytes as one field (bytea, or any pre-encoded payload).</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        var span = Reserve(4 + value.Length);
        BinaryPrimitives.WriteInt32BigEndian(span, value.Length);
        value.CopyTo(span[4..]);
    }

    /// <summary>
    /// Writes text as UTF-8 (text, varchar, char, json). An optional <paramref name="prefix"/> byte
    /// goes before the text: jsonb's binary form is a version byte (1) followed by the JSON text.
    /// </summary>
    /// <remarks>Lone surrogates become U+FFFD; callers that must reject them check beforehand.</remarks>
    public void WriteUtf8(ReadOnlySpan<char> value, int prefix = -1)
    {
        var extra = prefix >= 0 ? 1 : 0;
        var span = Reserve(4 + extra + Encoding.UTF8.GetMaxByteCount(value.Length));
        if (extra == 1)
        {
            span[4] = (byte)prefix;
        }

        var written = Encoding.UTF8.GetBytes(value, span[(4 + extra)..]);
        BinaryPrimitives.WriteInt32BigEndian(span, written + extra);
        // Reserve counted the worst case; give back what UTF-8 did not need.
        _position -= span.Length - (4 + extra + written);
    }

    /// <summary>Writes a uuid: 16 bytes in RFC 4122 (big-endian) order.</summary>
    public void WriteUuid(Guid value)
    {
        var span = Reserve(4 + 16);
        BinaryPrimitives.WriteInt32BigEndian(span, 16);
        value.TryWriteBytes(span[4..], bigEndian: true, out _);
    }

    /// <summary>Writes a date as days since 2000-01-01.</summary>
    public void WriteDate(int daysSince2000)
    {
        var span = Reserve(4 + 4);
        BinaryPrimitives.WriteInt32BigEndian(span, 4);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], daysSince2000);
    }

    /// <summary>Writes a timestamp or timestamptz as microseconds since 2000-01-01 00:00 (UTC for timestamptz).</summary>
    public void WriteTimestamp(long microsecondsSince2000)
    {
        var span = Reserve(4 + 8);
        BinaryPrimitives.WriteInt32BigEndian(span, 8);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], microsecondsSince2000);
    }

    /// <summary>
    /// Writes a numeric in PostgreSQL's base-10000 form: digit count, weight of the first digit,
    /// sign (0x0000 positive, 0x4000 negative, 0xC000 NaN), display scale, then the digits.
    /// </summary>
    public void WriteNumeric(short weight, ushort sign, short displayScale, ReadOnlySpan<short> digits)
    {
        var span = Reserve(4 + 8 + (2 * digits.Length));
        BinaryPrimitives.WriteInt32BigEndian(span, 8 + (2 * digits.Length));
        BinaryPrimitives.WriteInt16BigEndian(span[4..], (short)digits.Length);
        BinaryPrimitives.WriteInt16BigEndian(span[6..], weight);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], sign);
        BinaryPrimitives.WriteInt16BigEndian(span[10..], displayScale);
        var offset = 12;
        foreach (var digit in digits)
        {
            BinaryPrimitives.WriteInt16BigEndian(span[offset..], digit);
            offset += 2;
        }
    }

    /// <summary>Writes the trailer and flushes everything to the stream.</summary>
    public void Complete()
    {
        if (_completed)
        {
            return;
        }

        _rowStart = -1;
        EnsureSpace(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_position), -1);
        _position += 2;
        _stream.Write(_buffer, 0, _position);
        _position = 0;
        _stream.Flush();
        _completed = true;
    }

    /// <summary>Returns the buffer to the pool. Does not write the trailer: call <see cref="Complete"/> first.</summary>
    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            Storage.Blocks.Pool.Return(buffer);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteLength(int length)
    {
        EnsureSpace(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_position), length);
        _position += 4;
    }

    private void WriteRawInt32(int value) => WriteLength(value);

    /// <summary>Returns a span of exactly <paramref name="count"/> bytes at the end of the buffer and advances past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int count)
    {
        EnsureSpace(count);
        var span = _buffer.AsSpan(_position, count);
        _position += count;
        return span;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnsureSpace(int count)
    {
        if (_buffer.Length - _position < count)
        {
            MakeSpace(count);
        }
    }

    private void MakeSpace(int count)
    {
        // Flush only complete rows, so that CancelRow can always take back a row in progress.
        var keepFrom = _rowStart >= 0 ? _rowStart : _position;
        if (keepFrom > 0)
        {
            _stream.Write(_buffer, 0, keepFrom);
            var pending = _position - keepFrom;
            _buffer.AsSpan(keepFrom, pending).CopyTo(_buffer);
            _position = pending;
            if (_rowStart >= 0)
            {
                _rowStart = 0;
            }
        }

        if (_buffer.Length - _position < count)
        {
            // One row larger than the buffer (a huge text field): grow rather than fail.
            var bigger = Storage.Blocks.Pool.Rent(Math.Max(_buffer.Length * 2, _position + count));
            _buffer.AsSpan(0, _position).CopyTo(bigger);
            Storage.Blocks.Pool.Return(_buffer);
            _buffer = bigger;
        }
    }
}
