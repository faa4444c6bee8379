using System.CommandLine;
using Sluice.Cli.Commands;

var root = new RootCommand("""
    Sluice: event-driven file ETL. A file lands in a bucket, a pipeline matches it, and Sluice carries it through a
    durable workflow (download → transform → load → publish → notify) into PostgreSQL, exactly once.

    Quick start:  ./sluice demo
    Environment:  SLUICE_HOME (default ./.sluice), SLUICE_DATABASE_URL (default: embedded PostgreSQL),
                  SLUICE_PIPELINES (default ./pipelines), SLUICE_LOG_LEVEL, SLUICE_LOG_FORMAT=json
    """);
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ReplayCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(WorkerCommand.Create());
root.Subcommands.Add(JobsCommand.Create());
root.Subcommands.Add(JobCommand.Create());
root.Subcommands.Add(PipelinesCommand.Create());
root.Subcommands.Add(DbCommand.Create());
root.Subcommands.Add(ConvertCommand.Create());
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(KeysCommand.Create());
root.Subcommands.Add(WorkspaceCommand.Create());
root.Subcommands.Add(HistoryCommand.Create());
// `sluice help [command]` is what many people type first: it shows the same help as `sluice [command] --help`.
if (args is ["help", .. var topic]) args = [.. topic, "--help"];
var parsed = root.Parse(args);
if (parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
{
    // A mistake on the command line: what is wrong, one line each, and where the options are explained (the whole help
    // printed instead buries the message under it).
    foreach (var error in parsed.Errors)
        Console.Error.WriteLine($"error: {System.Text.RegularExpressions.Regex.Replace(error.Message, @"\s+", " ").Trim()}");
    var names = new List<string>();
    for (var r = parsed.CommandResult; r.Command != root; r = (System.CommandLine.Parsing.CommandResult)r.Parent!) names.Insert(0, r.Command.Name);
    Console.Error.WriteLine($"See `sluice {string.Join("", names.Select(n => n + " "))}--help` for what it takes.");
    return 1;
}
return await parsed.InvokeAsync();
