using Sluice.Samples;

namespace Sluice.Tests.Workflows;

/// <summary>The pipeline most tests load through: payments CSVs into public.payments.</summary>
internal static class PaymentsPipeline
{
    /// <summary>A <c>chunk:</c> line that keeps a file smaller than one chunk whole, however many cores this machine
    /// has (tests about a whole file's load).</summary>
    public const string Whole = "chunk: { spread: false }";

    public static string Yaml(string extra = "", string table = "public.payments", string mode = "append", string? schema = null) => $"""
        name: payments
        on: {"{"} bucket: inbox, match: "payments/*.csv" {"}"}
        workflow: load
        source: {"{"} format: csv {"}"}
        {schema ?? PaymentsCsv.PipelineSchema}
        target: {"{"} table: {table}, mode: {mode} {"}"}
        output: {"{"} bucket: processed {"}"}
        retry: {"{"} max_attempts: 3, backoff: 200ms {"}"}
        {extra}
        """;
}
