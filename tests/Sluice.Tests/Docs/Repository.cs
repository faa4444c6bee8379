namespace Sluice.Tests.Docs;

/// <summary>The checkout the tests run from: its docs and sources are read as files.</summary>
internal static class Repository
{
    /// <summary>The folder holding Sluice.slnx, found upwards from the test assembly.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sluice.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds Sluice.slnx");
    }
}
