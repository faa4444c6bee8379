using System.Text.Json.Nodes;
using Sluice.Storage;

namespace Sluice.Stages;

/// <summary>How stages describe the files they leave in the workspace: path, size and SHA-256.</summary>
internal static class StageFiles
{
    public static async Task<JsonObject> DescribeAsync(string path, CancellationToken ct) => new()
    {
        ["path"] = path,
        ["size"] = new FileInfo(path).Length,
        ["sha256"] = await JobWorkspace.Sha256Async(path, ct),
    };
}
