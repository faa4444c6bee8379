namespace Sluice.Pipelines;

/// <summary>How the load stage writes into the target table.</summary>
public enum LoadMode
{
    /// <summary>Insert every row.</summary>
    Append,
    /// <summary>Replace the table's rows with this file's rows in one transaction.</summary>
    Replace,
    /// <summary>Insert, or update rows whose key already exists.</summary>
    Upsert,
}
