using Sluice.Control;
using Sluice.Pipelines;

namespace Sluice.Stages;

/// <summary>A stage that only some jobs need; for the others the workflow goes straight to the stage after it.</summary>
public interface IOptionalStage : IStage
{
    bool IsNeeded(JobRecord job, Pipeline pipeline);
}
