using Sluice.Stages.Conversion;
using Sluice.Stages.Download;
using Sluice.Stages.Load;
using Sluice.Stages.Merge;
using Sluice.Stages.Notify;
using Sluice.Stages.Publish;
using Sluice.Stages.Transform;
using Sluice.Stages.Validate;

namespace Sluice.Stages;

/// <summary>The one place where stages are registered by name.</summary>
public sealed class StageRegistry
{
    private readonly Dictionary<string, IStage> _stages;

    public StageRegistry(HttpClient http)
    {
        IStage[] all = [new DownloadStage(), new TransformStage(), new LoadStage(), new MergeStage(), new PublishStage(), new NotifyStage(http),
            new ConvertStage(), new ValidateStage()];
        _stages = all.ToDictionary(s => s.Name);
    }

    public IStage Get(string name) => _stages.TryGetValue(name, out var s)
        ? s
        : throw new Errors.SluiceException("workflow.stage_unknown", $"no stage named '{name}' in this version of Sluice.");
}
