using System.Text.Json.Nodes;
using Sluice.Storage;

namespace Sluice.Stages;

/// <summary>How stages describe the files they leave in the workspace: path, size and SHA-256.</summary>
internal static class StageFiles
{
    public static async Task<JsonObject> DescribeAsync(string path, CancellationToken ct) => Describe(path, await JobWorkspace.Sha256Async(path, ct));

    /// <summary>A file whose hash was taken as it was written.</summary>
    public static JsonObject Describe(string path, string sha256) => new()
    {
        ["path"] = path,
        ["size"] = new FileInfo(path).Length,
        ["sha256"] = sha256,
    };
}
