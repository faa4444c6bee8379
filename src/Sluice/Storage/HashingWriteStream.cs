using System.Security.Cryptography;

namespace Sluice.Storage;

/// <summary>
/// Passes every byte written on to another stream and hashes it on the way (SHA-256): a file described by the hash
/// of what was written to it need not be read back to be described.
/// </summary>
public sealed class HashingWriteStream(Stream inner) : WriteOnlyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        inner.Write(buffer);
    }

    public override void Flush() => inner.Flush();

    /// <summary>The SHA-256 of everything written so far, in lower-case hex.</summary>
    public string Sha256() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
