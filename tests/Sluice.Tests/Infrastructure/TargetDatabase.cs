namespace Sluice.Tests.Infrastructure;

/// <summary>A database of the test server for a pipeline's own target (<c>target.database</c>), dropped when the test ends.</summary>
public sealed class TargetDatabase : IAsyncDisposable
{
    private readonly string _connectionString;

    private TargetDatabase(string connectionString) => _connectionString = connectionString;

    public string ConnectionString => _connectionString;

    public static async Task<TargetDatabase> CreateAsync() => new(await PostgresFixture.CreateDatabaseAsync("warehouse"));

    /// <summary>The pipeline's <c>target</c> mode with this database added to the same flow mapping.</summary>
    /// <param name="options">Connection string settings added to the database's (<c>;Command Timeout=4</c>).</param>
    public string Mode(string mode, string options = "") => $"{mode}, database: '{_connectionString}{options}'";

    public Task<T> ScalarAsync<T>(string sql, params object[] args) => TestEnvironment.ScalarInAsync<T>(_connectionString, sql, args);

    public Task ExecuteAsync(string sql) => TestEnvironment.ExecuteInAsync(_connectionString, sql);

    public ValueTask DisposeAsync() => new(PostgresFixture.DropDatabaseAsync(_connectionString));
}
