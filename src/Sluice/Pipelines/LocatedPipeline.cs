namespace Sluice.Pipelines;

/// <summary>A pipeline with the positions of the values the catalog compares across files.</summary>
internal sealed record LocatedPipeline(Pipeline Pipeline, int NameLine, int NameColumn, int MatchLine, int MatchColumn)
{
    public static LocatedPipeline Unlocated(Pipeline pipeline) => new(pipeline, 0, 0, 0, 0);
}
