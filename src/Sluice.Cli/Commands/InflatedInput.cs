using Sluice.Configuration;
using Sluice.Storage;

namespace Sluice.Cli.Commands;

/// <summary>
/// The file a command reads: the one given, or, for a gzip-compressed one (<c>*.gz</c>), the file it inflates to —
/// checked and limited as a pipeline's compressed source is (<see cref="GzipSource"/>), written as a hidden file in
/// <c>folder</c> and removed when the command is done with it.
/// </summary>
internal sealed class InflatedInput : IDisposable
{
    private readonly bool _temporary;

    private InflatedInput(string path, bool temporary) => (Path, _temporary) = (path, temporary);

    /// <summary>The file to read.</summary>
    public string Path { get; }

    public static async Task<InflatedInput> OpenAsync(string path, string folder, CancellationToken ct)
    {
        if (!GzipSource.IsGzipKey(path)) return new InflatedInput(path, temporary: false);
        var inflated = System.IO.Path.Combine(folder, $".{GzipSource.InflatedName(System.IO.Path.GetFileName(path))}.{Guid.NewGuid():N}.inflated");
        await GzipSource.InflateAsync(path, inflated, path, SluiceSettings.FromEnvironment().MaxInflateRatio, ct);
        return new InflatedInput(inflated, temporary: true);
    }

    public void Dispose()
    {
        if (_temporary) File.Delete(Path);
    }
}
