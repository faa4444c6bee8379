namespace Sluice.Server;

/// <summary>How the HTTP server runs. Defaults suit <c>sluice serve</c>; tests shorten the intervals.</summary>
public sealed record SluiceServerOptions
{
    /// <summary><c>--listen</c> / <c>SLUICE_LISTEN</c>, default 127.0.0.1:5080.</summary>
    public ListenAddress Listen { get; init; } = ListenAddress.Parse(ListenAddress.Default);

    /// <summary><c>SLUICE_MAX_UPLOAD_MB</c>, default 1024: larger uploads are refused with 413.</summary>
    public long MaxUploadBytes { get; init; } = 1L << 30;

    /// <summary>How often an event stream looks for new outbox rows.</summary>
    public TimeSpan EventPoll { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often an idle event stream sends a comment line, so proxies keep it open.</summary>
    public TimeSpan EventHeartbeat { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long an event stream waits for a gap in outbox ids to fill. Ids are taken when a transaction inserts and
    /// become visible when it commits, so a lower id can appear after a higher one; waiting keeps the stream in
    /// order and complete. A gap older than this is a rolled-back insert and is skipped.
    /// </summary>
    public TimeSpan EventGapGrace { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Reads <c>SLUICE_MAX_UPLOAD_MB</c>; the listen address comes from the caller.</summary>
    public static SluiceServerOptions FromEnvironment(ListenAddress listen)
    {
        var options = new SluiceServerOptions { Listen = listen };
        if (Environment.GetEnvironmentVariable("SLUICE_MAX_UPLOAD_MB") is { Length: > 0 } mb)
        {
            if (!long.TryParse(mb, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0)
                throw new Errors.SluiceException("config.invalid", $"SLUICE_MAX_UPLOAD_MB='{mb}' is not a positive whole number of megabytes.");
            options = options with { MaxUploadBytes = n << 20 };
        }
        return options;
    }
}
