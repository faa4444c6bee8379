using DuckDB.NET.Data;

namespace Sluice.Tests.Infrastructure;

/// <summary>Runs SQL in an in-memory DuckDB: the other tool that writes and reads the files Sluice converts.</summary>
internal static class DuckDb
{
    /// <summary>The first column of every row as text (<c>NULL</c> for null).</summary>
    public static async Task<List<string>> QueryAsync(string sql)
    {
        await using var connection = new DuckDBConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.IsDBNull(0) ? "NULL" : reader.GetValue(0).ToString()!);
        return rows;
    }
}
