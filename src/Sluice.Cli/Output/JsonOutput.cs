using System.Text.Json;

namespace Sluice.Cli.Output;

/// <summary>JSON on stdout for scripts: snake_case keys as declared on the records, indented.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static void Print<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));
}
