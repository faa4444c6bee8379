using System.Security.Cryptography;

namespace Sluice.Storage;

/// <summary>
/// The file a compressed source decompresses into (<see cref="CompressedSource"/>): each block is counted against the
/// limit, hashed and written; disposed before <see cref="Complete"/>, the file is removed, so a failure (damage, the
/// limit, a cancellation) leaves nothing half written for a later stage to read.
/// </summary>
internal sealed class InflatedFile : IAsyncDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly FileStream _output;
    private readonly string _path;
    private readonly string _name;
    private readonly long _limit;
    private readonly long _compressedSize;
    private readonly int _maxRatio;
    private bool _complete;

    /// <param name="name">How messages name the source (its bucket and key).</param>
    /// <param name="compressedSize">The source's size, which the limit is a multiple of.</param>
    public InflatedFile(string path, string name, long compressedSize, int maxRatio)
    {
        (_path, _name, _compressedSize, _maxRatio) = (path, name, compressedSize, maxRatio);
        _limit = CompressedSource.Limit(compressedSize, maxRatio);
        _output = FreshFile.Open(path, bufferSize: 0);
    }

    /// <summary>Bytes written so far.</summary>
    public long Size { get; private set; }

    /// <exception cref="Errors.SluiceException"><c>source.inflate_limit</c> past the limit.</exception>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> block, CancellationToken ct)
    {
        Size += block.Length;
        if (Size > _limit) throw CompressedSource.TooLarge(_name, _limit, _compressedSize, _maxRatio);
        _hash.AppendData(block.Span);
        return _output.WriteAsync(block, ct);
    }

    /// <summary>Keeps the file: its size and SHA-256 (lower-case hex).</summary>
    public (long Size, string Sha256) Complete()
    {
        _complete = true;
        return (Size, Convert.ToHexStringLower(_hash.GetHashAndReset()));
    }

    public async ValueTask DisposeAsync()
    {
        await _output.DisposeAsync();
        _hash.Dispose();
        if (!_complete) File.Delete(_path);
    }
}
