using Sluice.Formats.Csv;
using Sluice.Storage;

namespace Sluice.Trigger;

/// <summary>
/// The copy an upload writes into the workspace of the job it is to become, block by block as the body arrives
/// (<see cref="JobIntake.BeginUploadCopy"/>): planned in chunks on the way, as the download stage would, and sent to
/// the disk as it grows. The job's download stage then takes it instead of reading the object again.
/// </summary>
public sealed class UploadCopy : IAsyncDisposable
{
    private readonly FileStream _file;
    private Writeback.Tracker _writeback;

    internal UploadCopy(Guid jobId, string workspace, string path, CsvChunkPlanner? planner)
    {
        (JobId, Workspace, Path, Planner) = (jobId, workspace, path, planner);
        _file = FreshFile.Open(path, bufferSize: 0, options: FileOptions.Asynchronous);
        _writeback = new Writeback.Tracker(_file.SafeFileHandle);
    }

    public Guid JobId { get; }

    /// <summary>The job's workspace, chosen before the job is recorded.</summary>
    public string Workspace { get; }

    public string Path { get; }

    public long Size { get; private set; }

    internal CsvChunkPlanner? Planner { get; }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> block, CancellationToken ct)
    {
        Planner?.Append(block.Span);
        await _file.WriteAsync(block, ct);
        _writeback.Wrote(block.Length);
        Size += block.Length;
    }

    /// <summary>Closes the file once every byte of the body is in it.</summary>
    public ValueTask CompleteAsync() => _file.DisposeAsync();

    /// <summary>Removes the copy and the job folder made for it: the upload failed, or its content is a job already.</summary>
    public void Discard()
    {
        _file.Dispose();
        JobIntake.DeleteQuietly(System.IO.Path.GetDirectoryName(Workspace)!);
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();
}
