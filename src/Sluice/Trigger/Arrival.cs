namespace Sluice.Trigger;

/// <summary>An object that has finished arriving in a bucket: its key, size and content hash.</summary>
public sealed record Arrival(string Bucket, string Key, string Path, long Size, string Sha256);
