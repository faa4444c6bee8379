using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Sluice.Cli.Commands;

/// <summary>
/// A whole-number option with an accepted range, refused at parse time with a sentence a person can act on
/// (System.CommandLine's own message names the CLR type, and a value out of range would otherwise reach the engine).
/// </summary>
internal static class WholeNumberOption
{
    public static Option<int> Create(string name, string description, int defaultValue, int min, int max = int.MaxValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse(result, name, min, max),
    };

    private static int Parse(ArgumentResult result, string name, int min, int max)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            result.AddError($"{name} '{text}' is not a whole number; give {Range(min, max)}.");
            return 0;
        }
        if (value < min || value > max) result.AddError($"{name} {value} is out of range; give {Range(min, max)}.");
        return value;
    }

    private static string Range(int min, int max) =>
        max == int.MaxValue ? $"a whole number of {min} or more" : $"a whole number from {min} to {max}";
}
