using Sluice.Samples;

namespace Sluice.Tests.Workflows;

/// <summary>The pipeline most tests load through: payments CSVs into public.payments.</summary>
internal static class PaymentsPipeline
{
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
