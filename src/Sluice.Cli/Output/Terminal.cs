using Spectre.Console;

namespace Sluice.Cli.Output;

/// <summary>
/// Where the CLI writes. Results go to stdout (JSON with --json, and nothing else there); progress, tables for
/// people and errors go to stderr, with colour and live progress only when stderr is a terminal.
/// </summary>
internal static class Terminal
{
    public static bool IsInteractive { get; } = !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;

    public static IAnsiConsole Err { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
        Ansi = IsInteractive ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = IsInteractive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = IsInteractive ? InteractionSupport.Detect : InteractionSupport.No,
    });

    public static IAnsiConsole Out { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Out),
        Ansi = !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = !Console.IsOutputRedirected ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
    });

    static Terminal()
    {
        // Tables written to a file or pipe are not squeezed into 80 columns.
        if (Console.IsOutputRedirected) Out.Profile.Width = 240;
        if (!IsInteractive) Err.Profile.Width = 240;
    }

    public static void Line(string text) => Console.Error.WriteLine(text);
}
