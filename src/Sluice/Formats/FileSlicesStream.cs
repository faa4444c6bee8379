using Microsoft.Win32.SafeHandles;

namespace Sluice.Formats;

/// <summary>
/// Reads byte ranges of one file as if they were one file, in order (a chunk of a CSV file behind its header).
/// Read-only and forward-only; positional reads leave no shared file position, so many can read one file at once.
/// </summary>
public sealed class FileSlicesStream : Stream
{
    private readonly SafeFileHandle _file;
    private readonly (long Offset, long Length)[] _slices;
    private int _slice;
    private long _inSlice;

    public FileSlicesStream(string path, params (long Offset, long Length)[] slices)
    {
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        _slices = slices;
        Length = slices.Sum(s => s.Length);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length { get; }
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_slice < _slices.Length)
        {
            var (start, length) = _slices[_slice];
            var left = length - _inSlice;
            if (left <= 0) { _slice++; _inSlice = 0; continue; }
            var want = (int)Math.Min(buffer.Length, left);
            var n = RandomAccess.Read(_file, buffer[..want], start + _inSlice);
            if (n == 0) throw new EndOfStreamException($"the file ended inside a slice at byte {start + _inSlice}; it changed since it was split");
            _inSlice += n;
            return n;
        }
        return 0;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
        base.Dispose(disposing);
    }
}
