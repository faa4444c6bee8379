using Sluice.Control;
using Spectre.Console;

namespace Sluice.Cli.Output;

/// <summary>Human renderings of jobs: a table of many, and one job's stages, counts and error.</summary>
internal static class JobPrinter
{
    public static void PrintList(IReadOnlyList<JobView> jobs)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("id", "pipeline", "status", "source", "read", "loaded", "rejected", "created (UTC)");
        foreach (var j in jobs)
            table.AddRow(Markup.Escape(j.Id.ToString()), Markup.Escape(j.Pipeline), Status(j.Status),
                Markup.Escape($"{j.Source.Bucket}/{j.Source.Key}"), N(j.Counts.Read), N(j.Counts.Loaded), N(j.Counts.Rejected),
                j.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss"));
        Terminal.Write(table);
    }

    public static void PrintOne(JobView j)
    {
        var o = Terminal.Out;
        o.MarkupLine($"job [bold]{j.Id}[/]  {Status(j.Status)}  attempt {j.Attempt}");
        o.MarkupLine($"  pipeline  {Markup.Escape(j.Pipeline)} ({j.Workflow})");
        o.MarkupLine($"  source    {Markup.Escape($"{j.Source.Bucket}/{j.Source.Key}")}  {j.Source.Size:N0} bytes  sha256 {j.Source.Sha256[..16]}…");
        var c = j.Counts;
        o.MarkupLine($"  counts    read {N(c.Read)} = loaded {N(c.Loaded)} + rejected {N(c.Rejected)} + filtered {N(c.Filtered)}  " +
                     (c.Reconciled ? "[green]reconciled[/]" : "[yellow]not reconciled[/]"));
        o.MarkupLine(j.WorkspacePrunedAt is { } pruned
            ? $"  workspace {Markup.Escape(j.Workspace)}  [yellow]pruned {pruned:yyyy-MM-dd HH:mm:ss} UTC[/] (replays start from download)"
            : $"  workspace {Markup.Escape(j.Workspace)}");
        if (j.Chunks is { } chunks) o.MarkupLine($"  chunks    {chunks} (each transformed and loaded as its own task)");
        if (j.Error is { } e) o.MarkupLine($"  [red]error[/]     {Markup.Escape(e.Code)}: {Markup.Escape(e.Message)}");
        var table = new Table().Border(TableBorder.Simple).AddColumns("stage", "attempt", "try", "status", "duration", "worker", "error");
        foreach (var s in j.Stages)
            table.AddRow(Markup.Escape(s.Chunk is { } chunk ? $"{s.Name} #{chunk}" : s.Name), s.Attempt.ToString(), s.Try.ToString(), Status(s.Status),
                s.DurationMs is { } ms ? $"{ms:N0} ms" : "…", Markup.Escape(s.WorkerId ?? ""), Markup.Escape(s.Error is { } se ? $"{se.Code}: {se.Message}" : ""));
        Terminal.Write(table);
    }

    public static void PrintLogs(IReadOnlyList<JobLogLine> lines)
    {
        foreach (var l in lines)
            Console.Out.WriteLine($"{l.At:yyyy-MM-dd HH:mm:ss.fff} {l.Level,-5} {l.Stage ?? "-",-9} {l.WorkerId ?? "-"} {l.Message}");
    }

    private static string N(long? v) => v is { } x ? x.ToString("N0") : "-";

    private static string Status(string s) => s switch
    {
        "succeeded" => "[green]succeeded[/]",
        "failed" => "[red]failed[/]",
        "running" => "[blue]running[/]",
        "retrying" => "[yellow]retrying[/]",
        _ => Markup.Escape(s),
    };
}
