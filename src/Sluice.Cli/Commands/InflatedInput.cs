using Sluice.Configuration;
using Sluice.Storage;

namespace Sluice.Cli.Commands;

/// <summary>
/// The file a command reads: the one given, or, for a compressed one (<c>*.gz</c>, <c>*.zst</c>, <c>*.zip</c>), the file it
/// decompresses to — checked and limited as a pipeline's compressed source is (<see cref="CompressedSource"/>), written as a hidden file in
/// <c>folder</c> and removed when the command is done with it.
/// </summary>
internal sealed class InflatedInput : IDisposable
{
    private readonly bool _temporary;

    private InflatedInput(string path, bool temporary, string? entry = null) => (Path, _temporary, Entry) = (path, temporary, entry);

    /// <summary>The file to read.</summary>
    public string Path { get; }

    /// <summary>For a zip archive, the name of the file it held (what its format can be told from).</summary>
    public string? Entry { get; }

    public static async Task<InflatedInput> OpenAsync(string path, string folder, CancellationToken ct)
    {
        if (!CompressedSource.IsCompressedKey(path)) return new InflatedInput(path, temporary: false);
        var inflated = System.IO.Path.Combine(folder, $".{CompressedSource.InflatedName(System.IO.Path.GetFileName(path))}.{Guid.NewGuid():N}.inflated");
        var (_, _, entry) = await CompressedSource.InflateAsync(path, path, inflated, path, SluiceSettings.FromEnvironment().MaxInflateRatio, ct);
        CompressedSource.RefuseIfCompressedAgain(inflated, path);
        return new InflatedInput(inflated, temporary: true, entry);
    }

    public void Dispose()
    {
        if (_temporary) File.Delete(Path);
    }
}
