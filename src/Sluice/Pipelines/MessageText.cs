using System.Text;

namespace Sluice.Pipelines;

/// <summary>
/// Quotes values inside error messages. Object keys and YAML values may hold newlines or control
/// characters; echoing them raw would let a crafted key forge extra log lines.
/// </summary>
internal static class MessageText
{
    private const int MaxShown = 120;

    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('\'');
        foreach (var c in value.Length > MaxShown ? value[..MaxShown] : value)
        {
            if (char.IsControl(c)) sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        if (value.Length > MaxShown) sb.Append('…');
        return sb.Append('\'').ToString();
    }
}
