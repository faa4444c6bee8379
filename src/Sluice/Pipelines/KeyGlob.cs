using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Pipelines;

/// <summary>
/// A compiled glob over object keys. <c>*</c> matches within one path segment, <c>**</c> across
/// segments (<c>a/**/b.csv</c> also matches <c>a/b.csv</c>), <c>?</c> one character other than
/// <c>/</c>, <c>[abc]</c>, <c>[a-z]</c> and <c>[!a-z]</c> (or <c>[^a-z]</c>) one character of a class
/// (never <c>/</c>); everything else is literal. Matching is ordinal and case-sensitive.
/// </summary>
public sealed class KeyGlob
{
    // Keys are untrusted and patterns are user-written: the non-backtracking engine keeps every
    // match linear in the key length whatever the pattern.
    private const RegexOptions Options =
        RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking;

    private readonly Regex _regex;

    /// <summary>Compiles <paramref name="pattern"/>; throws <see cref="ArgumentException"/> when it is malformed.</summary>
    public KeyGlob(string pattern)
    {
        if (!TryTranslate(pattern, out var regex, out var error)) throw new ArgumentException(error, nameof(pattern));
        Pattern = pattern;
        _regex = new Regex(regex, Options);
    }

    public string Pattern { get; }

    public bool IsMatch(string key) => _regex.IsMatch(key);

    /// <summary>Compiles <paramref name="pattern"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryCreate(string pattern, [NotNullWhen(true)] out KeyGlob? glob, [NotNullWhen(false)] out string? error)
    {
        glob = null;
        if (!TryTranslate(pattern, out _, out error)) return false;
        glob = new KeyGlob(pattern);
        return true;
    }

    public override string ToString() => Pattern;

    private static bool TryTranslate(string pattern, [NotNullWhen(true)] out string? regex, [NotNullWhen(false)] out string? error)
    {
        regex = null;
        error = null;
        if (pattern.Length == 0)
        {
            error = "pattern must not be empty; use ** to match every key";
            return false;
        }

        var sb = new StringBuilder(@"\A");
        for (var i = 0; i < pattern.Length;)
        {
            switch (pattern[i])
            {
                case '*':
                    var end = i;
                    while (end < pattern.Length && pattern[end] == '*') end++;
                    if (end - i == 1)
                    {
                        sb.Append("[^/]*");
                    }
                    else if ((i == 0 || pattern[i - 1] == '/') && end < pattern.Length && pattern[end] == '/')
                    {
                        // "**/" is zero or more whole segments, so "a/**/b" also matches "a/b".
                        sb.Append("(?:.*/)?");
                        end++;
                    }
                    else
                    {
                        sb.Append(".*");
                    }
                    i = end;
                    break;
                case '?':
                    sb.Append("[^/]");
                    i++;
                    break;
                case '[':
                    if (!TryAppendClass(pattern, ref i, sb, out error)) return false;
                    break;
                default:
                    sb.Append(Regex.Escape(pattern[i].ToString()));
                    i++;
                    break;
            }
        }
        regex = sb.Append(@"\z").ToString();
        return true;
    }

    /// <summary>Translates the class starting at <paramref name="i"/> and moves past its closing bracket.</summary>
    private static bool TryAppendClass(string pattern, ref int i, StringBuilder sb, [NotNullWhen(false)] out string? error)
    {
        error = null;
        var start = i;
        var j = i + 1;
        var negated = j < pattern.Length && pattern[j] is '!' or '^';
        if (negated) j++;
        var contentStart = j;
        // A ']' right after the opening (or after '!') is a member, as in POSIX globs: "[]]".
        if (j < pattern.Length && pattern[j] == ']') j++;
        var close = pattern.IndexOf(']', j);
        if (close < 0)
        {
            error = $"'[' at position {start + 1} has no closing ']'";
            return false;
        }

        var members = new StringBuilder();
        for (var k = contentStart; k < close; k++)
        {
            var c = pattern[k];
            if (k + 2 < close && pattern[k + 1] == '-')
            {
                var last = pattern[k + 2];
                if (last < c)
                {
                    error = $"class range '{c}-{last}' at position {k + 1} is reversed";
                    return false;
                }
                members.Append(EscapeInClass(c)).Append('-').Append(EscapeInClass(last));
                k += 2;
            }
            else
            {
                members.Append(EscapeInClass(c));
            }
        }

        // A class never matches '/', or "[!a]" would let one segment's pattern cross into the next.
        sb.Append(negated ? $"[^/{members}]" : $"[{members}-[/]]");
        i = close + 1;
        return true;
    }

    private static string EscapeInClass(char c) => c is '\\' or ']' or '[' or '^' or '-' ? "\\" + c : c.ToString();
}
