namespace Sluice.Pipelines;

/// <summary>The CSV dialect of a source file. Immutable; derive variants with <c>with</c>.</summary>
public sealed record CsvOptions
{
    public static readonly CsvOptions Default = new();

    /// <summary>The dialect of <c>source.format: tsv</c> with no dialect key: a tab delimiter, the rest as
    /// <see cref="Default"/> (a convert job detects the rest from the file, as for <see cref="Default"/>).</summary>
    public static readonly CsvOptions Tab = Default with { Delimiter = '\t' };

    /// <summary>Whether the first record names the columns.</summary>
    public bool Header { get; init; } = true;
    public char Delimiter { get; init; } = ',';
    public char Quote { get; init; } = '"';
    /// <summary>The escape character inside quoted fields; by default the quote itself (<c>""</c>).</summary>
    public char Escape { get; init; } = '"';
    /// <summary>A .NET encoding name: utf-8 (default, BOM allowed), utf-16, latin1, ...</summary>
    public string Encoding { get; init; } = "utf-8";
    /// <summary>Field values read as SQL NULL. By default only the empty field.</summary>
    public IReadOnlyList<string> NullMarkers { get; init; } = [""];
    /// <summary>Rows read to infer a schema when the pipeline declares none.</summary>
    public int SampleRows { get; init; } = 1000;
}
