using Sluice.Pipelines;

namespace Sluice.Tests.Pipelines;

public sealed class PipelineCatalogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sluice-pipelines-" + Guid.NewGuid().ToString("N"));

    public PipelineCatalogTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string fileName, string yaml)
    {
        var path = Path.Combine(_dir, fileName);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string Yaml(string name, string bucket, string match, string table = "t") =>
        $"name: {name}\non: {{ bucket: {bucket}, match: \"{match}\" }}\ntarget: {{ table: {table} }}\n";

    [Fact]
    public void Directory_loads_yaml_and_yml_files_in_name_order_and_not_subfolders()
    {
        Write("b.yml", Yaml("refunds", "inbox", "refunds/*.csv"));
        Write("a.yaml", Yaml("payments", "inbox", "payments/*.csv"));
        Write("c.yaml", Yaml("clients", "clients-in", "**"));
        Write("notes.txt", "not a pipeline");
        Write(".draft.yaml", "not: [valid");
        Directory.CreateDirectory(Path.Combine(_dir, "old"));
        File.WriteAllText(Path.Combine(_dir, "old", "x.yaml"), "broken: [");

        var catalog = PipelineLoader.LoadDirectory(_dir);

        Assert.Equal(["payments", "refunds", "clients"], catalog.All.Select(p => p.Name));
        Assert.Equal(["clients-in", "inbox"], catalog.InputBuckets);
        Assert.Equal(Path.Combine(_dir, "b.yml"), catalog.Find("refunds")!.SourceFile);
        Assert.Null(catalog.Find("Refunds"));
    }

    [Fact]
    public void Route_finds_the_single_matching_pipeline()
    {
        Write("a.yaml", Yaml("payments", "inbox", "payments/*.csv"));
        Write("b.yaml", Yaml("refunds", "inbox", "refunds/**/*.csv"));
        var catalog = PipelineLoader.LoadDirectory(_dir);

        var route = catalog.Route("inbox", "refunds/2024/01/r.csv");

        Assert.True(route.IsMatched);
        Assert.Equal("refunds", route.Pipeline!.Name);
        Assert.True(catalog.Route("inbox", "payments/2024/p.csv").IsUnmatched);
        Assert.True(catalog.Route("other", "payments/p.csv").IsUnmatched);
        Assert.Equal("key 'payments/x.txt' in bucket 'inbox' matches no pipeline", catalog.Route("inbox", "payments/x.txt").Message);
    }

    [Fact]
    public void Ambiguous_route_names_both_pipelines_their_files_and_the_key()
    {
        var a = Write("a.yaml", Yaml("payments", "inbox", "payments/*.csv"));
        var b = Write("b.yaml", Yaml("refunds", "inbox", "**/*.csv"));
        var catalog = PipelineLoader.LoadDirectory(_dir);

        var route = catalog.Route("inbox", "payments/x.csv");

        Assert.True(route.IsAmbiguous);
        Assert.Null(route.Pipeline);
        Assert.Equal(
            $"key 'payments/x.csv' in bucket 'inbox' matches pipelines payments ({a}) and refunds ({b}); make the match patterns disjoint",
            route.Message);
    }

    [Fact]
    public void Route_message_escapes_control_characters_in_hostile_keys()
    {
        Write("a.yaml", Yaml("payments", "inbox", "*.csv"));
        var route = PipelineLoader.LoadDirectory(_dir).Route("inbox", "x\nFAKE LOG LINE.txt");
        Assert.Equal("key 'x\\u000aFAKE LOG LINE.txt' in bucket 'inbox' matches no pipeline", route.Message);
    }

    [Fact]
    public void Duplicate_pipeline_names_fail_naming_both_files()
    {
        var a = Write("a.yaml", Yaml("payments", "inbox", "payments/*.csv"));
        var b = Write("b.yaml", Yaml("payments", "inbox", "refunds/*.csv"));

        var error = Assert.Single(Assert.Throws<PipelineException>(() => PipelineLoader.LoadDirectory(_dir)).Errors);

        Assert.Equal($"{b}:1:7: name: pipeline 'payments' is also defined in {a}:1; pipeline names must be unique", error.ToString());
    }

    [Fact]
    public void Same_bucket_and_identical_match_fail_naming_both_files()
    {
        var a = Write("a.yaml", Yaml("payments", "inbox", "*.csv"));
        var b = Write("b.yaml", Yaml("refunds", "inbox", "*.csv"));

        var error = Assert.Single(Assert.Throws<PipelineException>(() => PipelineLoader.LoadDirectory(_dir)).Errors);

        Assert.Equal((b, 2, 29, "on.match"), (error.File, error.Line, error.Column, error.Key));
        Assert.Equal($"pipelines refunds and payments ({a}:2) both take bucket 'inbox' with match '*.csv'; make the match patterns disjoint", error.Message);
    }

    [Fact]
    public void Errors_of_every_file_are_reported_together()
    {
        var a = Write("a.yaml", "name: a\non: { bucket: inbox }\ntarget: { table: t, mode: apend }\n");
        var b = Write("b.yaml", "name: b\non: { bucket: inbox, match: \"*.csv\" }\ntarget: { table: t }\nextra: 1\n");

        var exception = Assert.Throws<PipelineException>(() => PipelineLoader.LoadDirectory(_dir));

        Assert.Equal([(a, 3, 27), (b, 4, 1)], exception.Errors.Select(e => (e.File, e.Line, e.Column)));
        Assert.StartsWith("2 errors in pipeline definitions:", exception.Message);
    }

    [Fact]
    public void Empty_directory_is_an_empty_catalog()
    {
        var catalog = PipelineLoader.LoadDirectory(_dir);
        Assert.Empty(catalog.All);
        Assert.Empty(catalog.InputBuckets);
        Assert.True(catalog.Route("inbox", "a.csv").IsUnmatched);
    }

    [Fact]
    public void Missing_directory_says_which_path_and_how_to_fix_it()
    {
        var missing = Path.Combine(_dir, "nope");
        var error = Assert.Single(Assert.Throws<PipelineException>(() => PipelineLoader.LoadDirectory(missing)).Errors);
        Assert.Equal(
            $"{missing}: pipelines directory does not exist; create it, or set SLUICE_PIPELINES to the folder holding your pipeline YAML files",
            error.ToString());
    }

    [Fact]
    public void Load_file_names_the_path_in_errors()
    {
        var path = Write("p.yaml", "name: p\non: { bucket: inbox }\n");
        var error = Assert.Single(Assert.Throws<PipelineException>(() => PipelineLoader.LoadFile(path)).Errors);
        Assert.Equal($"{path}:1:1: target: is required for workflow load, as in target: {{ table: public.transactions }}", error.ToString());
    }

    [Fact]
    public void Catalog_built_from_pipelines_rejects_duplicate_names()
    {
        var p = PipelineLoader.Parse(Yaml("payments", "inbox", "*.csv"), "a.yaml");
        var q = p with { SourceFile = "b.yaml", Match = "other/*.csv" };
        var error = Assert.Single(Assert.Throws<PipelineException>(() => new PipelineCatalog([p, q])).Errors);
        Assert.Equal("b.yaml: name: pipeline 'payments' is also defined in a.yaml; pipeline names must be unique", error.ToString());
    }
}
