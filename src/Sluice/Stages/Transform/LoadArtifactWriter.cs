using Sluice.Postgres.Copy;
using Sluice.Storage;

namespace Sluice.Stages.Transform;

/// <summary>
/// The files of a load artifact as a transform writes them: <c>data.pgcopy</c> (binary COPY rows, hashed as they are
/// written, so describing the file needs no second read of it, and sent on to a streamed load when there is one) and
/// <c>rejects.csv</c>. Disposed before <see cref="Complete"/>, the half-written data file is removed, since it must
/// never be loaded; the rejects stay, for diagnosis.
/// </summary>
internal sealed class LoadArtifactWriter : IDisposable
{
    private readonly FileStream _data;
    private readonly HashingWriteStream _hashed;
    private bool _completed;

    /// <param name="alsoTo">A stream that receives every byte of <c>data.pgcopy</c> too (a streamed load's COPY), or null.</param>
    public LoadArtifactWriter(string outputDirectory, Stream? alsoTo)
    {
        Directory.CreateDirectory(outputDirectory);
        DataPath = Path.Combine(outputDirectory, LoadArtifactBuilder.DataFileName);
        RejectsPath = Path.Combine(outputDirectory, LoadArtifactBuilder.RejectsFileName);
        _data = FreshFile.Open(DataPath, bufferSize: 1, options: FileOptions.SequentialScan);
        _hashed = new HashingWriteStream(new Writeback.Stream(_data));
        Rows = new PgCopyWriter(alsoTo is null ? _hashed : new TeeStream(_hashed, alsoTo));
        try
        {
            Rejects = new RejectFileWriter(RejectsPath);
        }
        catch
        {
            Rows.Dispose();
            _hashed.Dispose();
            _data.Dispose();
            File.Delete(DataPath);
            throw;
        }
    }

    public string DataPath { get; }

    public string RejectsPath { get; }

    /// <summary>The rows, in PostgreSQL's binary COPY format.</summary>
    public PgCopyWriter Rows { get; }

    /// <summary>The records that could not become rows.</summary>
    public RejectFileWriter Rejects { get; }

    /// <summary>Ends both files; the SHA-256 of <c>data.pgcopy</c>.</summary>
    public string Complete()
    {
        Rows.Complete();
        var sha256 = _hashed.Sha256();
        Rejects.Flush();
        _completed = true;
        return sha256;
    }

    public void Dispose()
    {
        Rejects.Dispose();
        Rows.Dispose();
        _hashed.Dispose();
        _data.Dispose();
        if (!_completed) File.Delete(DataPath);
    }

    /// <summary>Writes every byte to the artifact file and to a second stream (a streamed load's COPY).</summary>
    private sealed class TeeStream(Stream first, Stream second) : WriteOnlyStream
    {
        public override void Write(ReadOnlySpan<byte> bytes)
        {
            first.Write(bytes);
            second.Write(bytes);
        }

        public override void Flush()
        {
            first.Flush();
            second.Flush();
        }
    }
}
