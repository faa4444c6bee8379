using System.Text.Json;

namespace Sluice.Cli.Output;

/// <summary>JSON on stdout for scripts: snake_case keys as declared on the records, indented.</summary>
internal static class JsonOutput
{
    // Text as written (row's, café) rather than \u0027 and \u00E9.
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Print<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));
}
