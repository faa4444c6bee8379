using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Builder;
using Sluice.Control;
using Sluice.Errors;
using Sluice.Hosting;
using Sluice.Server.Access;
using Sluice.Storage;
using Sluice.Trigger;

namespace Sluice.Server.Api;

/// <summary>
/// <c>PUT /api/v1/buckets/{bucket}/objects/{key}</c>: the body is streamed to a hidden temporary file in the bucket
/// folder (hashed and counted on the way, refused past the size limit), renamed into place, and handed to the router
/// exactly as the folder trigger would. The same bytes go into the workspace of the job the upload becomes
/// (<see cref="UploadCopy"/>), so its download stage does not read the object again, and neither does the folder
/// trigger of this process (<see cref="RecordedUploads"/>); the trigger of another process reading the object finds
/// the same job by its content.
/// </summary>
internal static class UploadApi
{
    private const string Prefix = "/api/v1/buckets/";

    public static void Map(RouteGroupBuilder api) =>
        api.MapPut("/buckets/{bucket}/objects/{**key}", UploadAsync).WithMetadata(new RequiredRole(ApiKeys.Role.Operator));

    private static async Task<IResult> UploadAsync(HttpContext ctx, SluiceHost host, SluiceServerOptions options)
    {
        var ct = ctx.RequestAborted;
        var (bucket, key) = RawBucketAndKey(ctx);
        ctx.Audit($"{bucket}/{ObjectKey.Printable(key)}");
        var target = host.Buckets.ObjectPath(bucket, key);
        var route = host.Catalog.Route(bucket, key);
        if (route.IsAmbiguous) throw new SluiceException("route.ambiguous", route.Message);
        if (route.Pipeline is not { } pipeline)
            throw new SluiceException("route.no_pipeline", $"{route.Message}; nothing was stored. Upload to a bucket and key a pipeline takes (GET /api/v1/pipelines).");
        if (ctx.Request.ContentLength > options.MaxUploadBytes)
        {
            // Answer without storing anything; a small body is read and discarded first, because closing a socket
            // with unread data in it resets the connection and the client may never see the 413.
            if (ctx.Request.ContentLength <= 1 << 20 && ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } drain)
            {
                drain.MaxRequestBodySize = ctx.Request.ContentLength;
                await ctx.Request.Body.CopyToAsync(Stream.Null, ct);
            }
            else ctx.Response.Headers.Connection = "close";
            return TooLarge(options);
        }
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.MaxUploadBytes;

        var folder = Path.GetDirectoryName(target)!;
        RefuseFolderConflicts(bucket, key, target, host.Buckets.BucketPath(bucket));
        Directory.CreateDirectory(folder);
        // Hidden and *.tmp: the folder trigger ignores it until the rename, and after it waits the settle interval,
        // since this request records the job itself.
        var temp = FolderBuckets.TempNameFor(target);
        // The job's own copy, written beside the object as the body arrives: its download stage takes it.
        await using var copy = host.Intake.BeginUploadCopy(key, pipeline, ctx.Request.ContentLength);
        var handedOver = false;
        long size = 0;
        string sha;
        JobIntake.Outcome outcome;
        try
        {
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                {
                    var buffer = new byte[1 << 16];
                    int n;
                    while ((n = await ReadOrTooLargeAsync(ctx.Request.Body, buffer, ct)) != 0)
                    {
                        if (n == TooLargeRead) return TooLarge(options);
                        size += n;
                        if (size > options.MaxUploadBytes) return TooLarge(options);
                        hash.AppendData(buffer, 0, n);
                        await file.WriteAsync(buffer.AsMemory(0, n), ct);
                        if (copy is not null) await copy.WriteAsync(buffer.AsMemory(0, n), ct);
                    }
                }
                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            if (copy is not null) await copy.CompleteAsync();
            // Told before the object appears, the folder trigger of this process waits for this request to record the
            // job and then passes over the object, instead of copying and hashing all of it only to find that job.
            using var recording = host.Uploads.Begin(bucket, key, size, File.GetLastWriteTimeUtc(temp));
            File.Move(temp, target, overwrite: true);

            // The object is in place: record the job even if the caller hangs up now.
            var arrival = new Arrival(bucket, key, target, size, sha);
            handedOver = true;
            outcome = copy is null
                ? await host.Intake.ReceiveAsync(arrival, pipeline, ctx.RequestedBy(), CancellationToken.None)
                : await host.Intake.ReceiveCopiedAsync(arrival, pipeline, copy, ctx.RequestedBy(), CancellationToken.None);
            recording.Recorded();
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
            if (!handedOver) copy?.Discard();
        }

        var jobs = outcome.JobId is { } id ? new[] { new { id, pipeline = pipeline.Name, created = outcome.Created } } : [];
        ctx.Audit($"{bucket}/{key}", new JsonObject { ["size"] = size, ["sha256"] = sha, ["job_id"] = outcome.JobId?.ToString(), ["created"] = outcome.Created });
        var body = new { bucket, key, size, sha256 = sha, jobs };
        return outcome.Created ? Results.Created($"/api/v1/jobs/{outcome.JobId}", body) : Results.Ok(body);
    }

    private const int TooLargeRead = -1;

    /// <summary>
    /// Reads the next block, or <see cref="TooLargeRead"/> when Kestrel's own limit stops a body without a length
    /// (chunked): that answer must be the same <c>upload.too_large</c> as for a body whose length said so.
    /// </summary>
    private static async Task<int> ReadOrTooLargeAsync(Stream body, byte[] buffer, CancellationToken ct)
    {
        try { return await body.ReadAsync(buffer, ct); }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge) { return TooLargeRead; }
    }

    /// <summary>
    /// 409 when the object's file cannot be where its key says: the key is a folder in the bucket, or one of its
    /// folders is a file there. Checked before anything is written, so nothing is left behind.
    /// </summary>
    private static void RefuseFolderConflicts(string bucket, string key, string target, string bucketPath)
    {
        if (Directory.Exists(target))
            throw new SluiceException("key.conflict",
                $"'{bucket}/{ObjectKey.Printable(key)}' is a folder in the bucket, not an object; upload under another key (or a key inside that folder).");
        for (var folder = Path.GetDirectoryName(target); folder is not null && folder.Length > bucketPath.Length; folder = Path.GetDirectoryName(folder))
            if (File.Exists(folder))
                throw new SluiceException("key.conflict",
                    $"'{bucket}/{ObjectKey.Printable(Path.GetRelativePath(bucketPath, folder).Replace(Path.DirectorySeparatorChar, '/'))}' is an object in the bucket, so it cannot be a folder of '{ObjectKey.Printable(key)}'; upload under another key.");
    }

    private static IResult TooLarge(SluiceServerOptions options) => ApiError.Result(413, "upload.too_large",
        $"the upload is larger than the limit of {options.MaxUploadBytes:N0} bytes (SLUICE_MAX_UPLOAD_MB).");

    /// <summary>
    /// Bucket and key from the request target exactly as sent, decoded once. Routing sees a normalized path (dot segments
    /// removed, %2F kept encoded), which must never decide where a file is written.
    /// </summary>
    private static (string Bucket, string Key) RawBucketAndKey(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.ToString();
        var query = raw.IndexOf('?');
        if (query >= 0) raw = raw[..query];
        var slash = raw.StartsWith(Prefix, StringComparison.Ordinal) ? raw.IndexOf('/', Prefix.Length) : -1;
        if (slash < 0 || string.CompareOrdinal(raw, slash, "/objects/", 0, 9) != 0)
            throw new SluiceException("key.invalid", "the object key has '.' or '..' segments; send the key as a plain relative path.");
        return (Uri.UnescapeDataString(raw[Prefix.Length..slash]), Uri.UnescapeDataString(raw[(slash + 9)..]));
    }
}
