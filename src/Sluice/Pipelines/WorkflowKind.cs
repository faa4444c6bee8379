namespace Sluice.Pipelines;

/// <summary>Which workflow a pipeline runs: <c>load</c> into PostgreSQL or <c>convert</c> to another format.</summary>
public enum WorkflowKind
{
    Load,
    Convert,
}
