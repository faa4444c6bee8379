using Sluice.Pipelines;
using Sluice.Postgres;

namespace Sluice.Tests.Postgres;

public class TableDdlTests
{
    [Fact]
    public void Identifiers_are_quoted_with_inner_quotes_doubled() =>
        Assert.Equal("\"a\"\"; DROP TABLE x; --\"", PgIdentifier.Quote("a\"; DROP TABLE x; --"));

    [Fact]
    public void An_identifier_with_nul_is_refused() => Assert.Throws<ArgumentException>(() => PgIdentifier.Quote("a\0b"));

    [Fact]
    public void The_script_creates_schema_and_table_with_lineage_and_key()
    {
        var script = TableDdl.CreateTableScript("sales", "Orders",
            [new("id", ColumnType.BigInt), new("amount", new ColumnType(ColumnKind.Numeric, Precision: 14, Scale: 2))],
            ["id"], includeLineageColumn: true);

        Assert.Equal(
            "CREATE SCHEMA IF NOT EXISTS \"sales\";\n" +
            "CREATE TABLE IF NOT EXISTS \"sales\".\"Orders\" (\n" +
            "    \"id\" bigint NOT NULL,\n" +
            "    \"amount\" numeric(14,2),\n" +
            "    \"_sluice_job_id\" uuid,\n" +
            "    PRIMARY KEY (\"id\")\n" +
            ");\n",
            script);
    }

    [Fact]
    public void A_key_that_is_not_a_column_is_refused() =>
        Assert.Throws<ArgumentException>(() => TableDdl.CreateTableScript("s", "t", [new("a", ColumnType.Text)], ["b"], false));
}
