using Sluice.Errors;

namespace Sluice.Server.Api;

/// <summary>
/// Whole numbers from the query string, read here rather than bound by the framework: a bad value is refused with a
/// code and a message naming the parameter and the range it takes, never clamped into range in silence.
/// </summary>
internal static class QueryNumber
{
    /// <summary><paramref name="text"/> as a number from <paramref name="min"/> to <paramref name="max"/>; <paramref name="fallback"/> when absent.</summary>
    public static long Read(string? text, string name, string code, long fallback, long min, long max) =>
        ReadOptional(text, name, code, min, max) ?? fallback;

    /// <summary><paramref name="text"/> as a number from <paramref name="min"/> to <paramref name="max"/>; null when absent.</summary>
    public static long? ReadOptional(string? text, string name, string code, long min, long max)
    {
        if (text is null) return null;
        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value) &&
            value >= min && value <= max)
            return value;
        throw new SluiceException(code, $"{name} '{Storage.ObjectKey.Printable(text)}' is not a whole number from {min} to {max}.");
    }
}
