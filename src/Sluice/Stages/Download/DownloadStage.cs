using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Sluice.Errors;

namespace Sluice.Stages.Download;

/// <summary>
/// Copies the source object into the job workspace, hashing it on the way: the bytes every later stage reads are
/// exactly the bytes that arrived, or the job stops here.
/// </summary>
public sealed class DownloadStage : IStage
{
    public string Name => "download";

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken ct)
    {
        var job = context.Job;
        var source = context.Buckets.ObjectPath(job.SourceBucket, job.SourceKey);
        if (!File.Exists(source))
            throw new SluiceException("source.missing",
                $"object '{job.SourceKey}' is no longer in bucket '{job.SourceBucket}' ({source}); put it back and replay from download.");
        var target = Path.Combine(context.Workspace.StageFolder(Name), SafeFileName(job.SourceKey));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        await using (var src = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        await using (var dst = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                int n;
                while ((n = await src.ReadAsync(buffer, ct)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    await dst.WriteAsync(buffer.AsMemory(0, n), ct);
                    size += n;
                }
                await dst.FlushAsync(ct);
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (sha != job.SourceSha256)
            throw new SluiceException("source.changed",
                $"object '{job.SourceKey}' in bucket '{job.SourceBucket}' changed after it arrived (sha256 {job.SourceSha256[..12]}… now {sha[..12]}…); " +
                "the new content gets a job of its own, this one stops.");
        context.Info($"downloaded {size:N0} bytes from {job.SourceBucket}/{job.SourceKey}");
        return new StageResult(new JsonObject
        {
            ["file"] = new JsonObject { ["path"] = target, ["size"] = size, ["sha256"] = sha },
        });
    }

    /// <summary>The last segment of the key (keys are validated on arrival, so it holds no path separators).</summary>
    public static string SafeFileName(string key) => key[(key.LastIndexOf('/') + 1)..];
}
