using System.Collections.Concurrent;
using System.Text;

namespace Sluice.Tests.Infrastructure;

/// <summary>A console for a host's log that keeps each line, for a test to read while the host is still writing.</summary>
public sealed class LogLines : TextWriter
{
    private readonly ConcurrentQueue<string> _lines = new();

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>The lines written so far.</summary>
    public IReadOnlyList<string> Lines => _lines.ToArray();

    /// <summary>The lines written so far that contain <paramref name="text"/>.</summary>
    public IReadOnlyList<string> Containing(string text) => _lines.Where(l => l.Contains(text, StringComparison.Ordinal)).ToArray();

    // The job log writes whole lines only.
    public override void WriteLine(string? value) => _lines.Enqueue(value ?? "");
}
