namespace Sluice.Pipelines;

/// <summary>How many bad rows a job may set aside and still succeed. Default: none.</summary>
/// <param name="MaxRows">Most rejected rows allowed (null: no row limit).</param>
/// <param name="MaxRatio">Most rejected / read allowed, 0..1 (null: no ratio limit).</param>
public sealed record RejectPolicy(long? MaxRows, double? MaxRatio)
{
    public static readonly RejectPolicy None = new(0, null);

    public bool Allows(long rejected, long read) =>
        rejected == 0 ||
        ((MaxRows is null || rejected <= MaxRows) &&
         (MaxRatio is null || (read > 0 && (decimal)rejected / read <= (decimal)MaxRatio.Value)) &&
         (MaxRows is not null || MaxRatio is not null));
}
