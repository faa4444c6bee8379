namespace Sluice.Configuration;

/// <summary>
/// Where Sluice keeps its state and finds its inputs. Read from the environment once at start-up;
/// every path is absolute.
/// </summary>
public sealed record SluiceSettings
{
    /// <summary><c>SLUICE_HOME</c>, default <c>./.sluice</c>: embedded PostgreSQL, buckets, workspace.</summary>
    public required string Home { get; init; }
    /// <summary><c>SLUICE_DATABASE_URL</c>: a postgresql:// URL or an Npgsql connection string; null means the embedded server.</summary>
    public string? DatabaseUrl { get; init; }
    /// <summary><c>SLUICE_PIPELINES</c>, default <c>./pipelines</c>.</summary>
    public required string PipelinesDirectory { get; init; }
    /// <summary><c>SLUICE_BUCKETS</c>, default <c>$SLUICE_HOME/buckets</c>: one folder per bucket.</summary>
    public required string BucketsRoot { get; init; }
    /// <summary><c>SLUICE_WORKSPACE</c>, default <c>$SLUICE_HOME/workspace</c>.</summary>
    public required string WorkspaceRoot { get; init; }
    /// <summary><c>SLUICE_LEASE_SECONDS</c>, default 30: how long a claimed task stays owned without renewal.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary><c>SLUICE_SETTLE_MS</c>, default 1000: how long a file's size and time must stay unchanged before it is picked up.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(1000);

    /// <summary><c>SLUICE_GRACE_SECONDS</c>, default 20: on SIGTERM, how long running stages may finish before their tasks are handed back.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary><c>SLUICE_EXPRESS_BYTES</c>, default 65536 (64 KiB); 0 turns the express lane off. A job whose file is at
    /// most this size runs its stages up to the one that decides it under one lease and records them in one commit
    /// (docs/state-machines.md#express-lane-small-files).</summary>
    public long ExpressBytes { get; init; } = DefaultExpressBytes;

    public const long DefaultExpressBytes = 64 * 1024;

    /// <summary><c>SLUICE_STREAM_BYTES</c>, default 1048576 (1 MiB); 0 turns streamed loads off. A load job whose file is
    /// at least this size loads its rows while transform writes them, when that cannot change what commits
    /// (docs/state-machines.md#streamed-loads-large-files).</summary>
    public long StreamBytes { get; init; } = DefaultStreamBytes;

    public const long DefaultStreamBytes = 1024 * 1024;

    /// <summary><c>SLUICE_STREAM_CHUNKS</c>, default off (<c>1</c> or <c>true</c> turns it on): whether the chunks of a split
    /// file stream too. Off by default because on two cores it was measured slower: two chunks parsing while two
    /// backends store rows oversubscribe the cores (2M rows: 1.08× psql's time streamed, 0.97× not).</summary>
    public bool StreamChunks { get; init; }

    /// <summary><c>SLUICE_MAX_INFLATE_RATIO</c>, default 200; 0 turns the limit off. A compressed source
    /// (<c>*.gz</c>, <c>*.zst</c>) may decompress to this many times its own size, or 64 MiB when that is more: past it the job fails
    /// as a likely decompression bomb (gzip can inflate about 1,000 times; CSV rarely compresses 20 times).</summary>
    public int MaxInflateRatio { get; init; } = DefaultMaxInflateRatio;

    public const int DefaultMaxInflateRatio = 200;

    /// <summary><c>SLUICE_WORKSPACE_RETENTION</c>, default off: a period such as <c>7d</c> or <c>12h</c>. <c>serve</c> then
    /// removes the workspace folders of jobs that succeeded longer ago than that, as <c>sluice workspace prune
    /// --older-than</c> does (failed jobs keep theirs for replay).</summary>
    public TimeSpan? WorkspaceRetention { get; init; }

    /// <summary><c>SLUICE_HISTORY_RETENTION</c>, default off: a period such as <c>90d</c>. <c>serve</c> then removes events
    /// older than that and the log lines of jobs that ended before it, as <c>sluice history prune --older-than</c> does
    /// (jobs, stage runs, attempts, the load ledger and the audit log stay).</summary>
    public TimeSpan? HistoryRetention { get; init; }

    public static SluiceSettings FromEnvironment(string? currentDirectory = null)
    {
        var cwd = currentDirectory ?? Directory.GetCurrentDirectory();
        string Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : "";
        var home = Path.GetFullPath(Env("SLUICE_HOME") is { Length: > 0 } h ? h : Path.Combine(cwd, ".sluice"), cwd);
        return new SluiceSettings
        {
            Home = home,
            DatabaseUrl = Env("SLUICE_DATABASE_URL") is { Length: > 0 } url ? url : null,
            PipelinesDirectory = Path.GetFullPath(Env("SLUICE_PIPELINES") is { Length: > 0 } p ? p : Path.Combine(cwd, "pipelines"), cwd),
            BucketsRoot = Path.GetFullPath(Env("SLUICE_BUCKETS") is { Length: > 0 } b ? b : Path.Combine(home, "buckets"), cwd),
            WorkspaceRoot = Path.GetFullPath(Env("SLUICE_WORKSPACE") is { Length: > 0 } w ? w : Path.Combine(home, "workspace"), cwd),
            Lease = TimeSpan.FromSeconds(ParsePositive(Env("SLUICE_LEASE_SECONDS"), 30, "SLUICE_LEASE_SECONDS")),
            Settle = TimeSpan.FromMilliseconds(ParsePositive(Env("SLUICE_SETTLE_MS"), 1000, "SLUICE_SETTLE_MS")),
            Grace = TimeSpan.FromSeconds(ParseNonNegative(Env("SLUICE_GRACE_SECONDS"), 20, "SLUICE_GRACE_SECONDS")),
            ExpressBytes = (long)ParseNonNegative(Env("SLUICE_EXPRESS_BYTES"), DefaultExpressBytes, "SLUICE_EXPRESS_BYTES"),
            StreamBytes = (long)ParseNonNegative(Env("SLUICE_STREAM_BYTES"), DefaultStreamBytes, "SLUICE_STREAM_BYTES"),
            StreamChunks = ParseSwitch(Env("SLUICE_STREAM_CHUNKS"), "SLUICE_STREAM_CHUNKS"),
            MaxInflateRatio = (int)Math.Min(int.MaxValue, ParseNonNegative(Env("SLUICE_MAX_INFLATE_RATIO"), DefaultMaxInflateRatio, "SLUICE_MAX_INFLATE_RATIO")),
            WorkspaceRetention = ParseRetention(Env("SLUICE_WORKSPACE_RETENTION"), "SLUICE_WORKSPACE_RETENTION", "every workspace"),
            HistoryRetention = ParseRetention(Env("SLUICE_HISTORY_RETENTION"), "SLUICE_HISTORY_RETENTION", "every event and log line"),
        };
    }

    private static TimeSpan? ParseRetention(string text, string name, string kept)
    {
        if (text.Length == 0 || text.Equals("off", StringComparison.OrdinalIgnoreCase)) return null;
        return Durations.Parse(text) switch
        {
            null => throw new Errors.SluiceException("config.invalid",
                $"{name}='{text}' is not a period; give one such as 7d, 12h or 30m (or unset it to keep {kept})."),
            { } zero when zero <= TimeSpan.Zero => throw new Errors.SluiceException("config.invalid",
                $"{name}='{text}' would remove what a job leaves as it ends; give a period longer than 0, such as 7d (or unset it to keep {kept})."),
            { } period => period,
        };
    }

    private static bool ParseSwitch(string text, string name) => text.ToLowerInvariant() switch
    {
        "" or "0" or "false" or "no" or "off" => false,
        "1" or "true" or "yes" or "on" => true,
        _ => throw new Errors.SluiceException("config.invalid", $"{name}='{text}' is neither on nor off; give 1 or 0 (or unset it)."),
    };

    private static double ParseNonNegative(string text, double fallback, string name) =>
        text == "0" ? 0 : ParsePositive(text, fallback, name);

    private static double ParsePositive(string text, double fallback, string name)
    {
        if (text.Length == 0) return fallback;
        if (double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0) return v;
        throw new Errors.SluiceException("config.invalid", $"{name}='{text}' is not a positive number; unset it or give a number such as {fallback}.");
    }
}
