using Spectre.Console;
using Spectre.Console.Rendering;

namespace Sluice.Cli.Output;

/// <summary>
/// Where the CLI writes. Results go to stdout (JSON with --json, and nothing else there); progress, tables for
/// people and errors go to stderr, with colour and live progress only when stderr is a terminal.
/// </summary>
internal static class Terminal
{
    /// <summary>The width Spectre is given for a file or pipe: wide enough that no line is wrapped.</summary>
    private const int PlainWidth = 1 << 16;

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
        // Text written to a file or pipe is not wrapped: Spectre would break a long error message at the profile's width.
        if (Console.IsOutputRedirected) Out.Profile.Width = PlainWidth;
        if (!IsInteractive) Err.Profile.Width = PlainWidth;
    }

    public static void Line(string text) => Console.Error.WriteLine(text);

    /// <summary>
    /// A table on stdout: drawn by Spectre on a terminal; to a file or pipe, a header line and one line per row, columns
    /// two spaces apart, with no borders, no blank or rule lines and no spaces at line ends, so grep, cut and diff read it.
    /// </summary>
    public static void Write(Table table)
    {
        if (!Console.IsOutputRedirected)
        {
            Out.Write(table);
            return;
        }
        var options = RenderOptions.Create(Out, Out.Profile.Capabilities);
        string Text(IRenderable cell) => string.Concat(cell.Render(options, PlainWidth)
            .Where(s => !s.IsControlCode).Select(s => s.IsLineBreak ? " " : s.Text)).Trim();
        var lines = new List<string[]> { table.Columns.Select(c => Text(c.Header)).ToArray() };
        lines.AddRange(table.Rows.Select(row => row.Select(Text).ToArray()));
        var widths = Enumerable.Range(0, table.Columns.Count).Select(i => lines.Max(line => line[i].Length)).ToArray();
        foreach (var line in lines)
            Console.Out.WriteLine(string.Join("  ", line.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
    }
}
