using Sluice.Formats;
using Sluice.Stages.Transform;

namespace Sluice.Stages.Conversion; // not .Convert: that would hide System.Convert in every stage namespace

/// <summary>
/// Converts one file to another format, batch by batch: memory holds two batches whatever the file size. Reading the
/// next batch overlaps with writing the previous one (parsing and compressing each keep one core busy).
/// </summary>
public static class FileConverter
{
    /// <summary>Converts <paramref name="sourcePath"/> to <paramref name="targetPath"/>; rejected records go to <paramref name="rejectsPath"/>.</summary>
    /// <exception cref="DataFileException">The source cannot be read or the target cannot hold a column exactly.</exception>
    public static async Task<ConversionResult> ConvertAsync(string sourcePath, FileFormatOptions source, string targetPath, FileFormatOptions target,
        string rejectsPath, IProgress<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        await using var reader = await DataFiles.OpenReaderAsync(sourcePath, source, ct);
        var columns = reader.Columns;
        var completed = false;
        long written = 0, rejectedCount = 0;
        RejectedRow? first = null;
        try
        {
            using var rejects = new RejectFileWriter(rejectsPath);
            void Reject(RejectedRow row)
            {
                first ??= row;
                rejectedCount++;
                rejects.Write(row.Line, row.Column ?? "", row.Reason, row.Raw);
            }

            await using (var writer = await DataFiles.CreateWriterAsync(targetPath, columns, target, ct))
            {
                var rows = source.RowsPerBatch(columns.Count);
                ColumnBatch[] batches = [new(columns, rows), new(columns, rows)];
                var current = 0;
                var more = await reader.ReadAsync(batches[current], Reject, ct);
                while (more)
                {
                    var full = batches[current];
                    var writing = Task.Run(async () => await writer.WriteAsync(full, ct), ct);
                    written += full.Count;
                    current ^= 1;
                    try
                    {
                        more = await reader.ReadAsync(batches[current], Reject, ct);
                    }
                    finally
                    {
                        await writing;
                    }
                    progress?.Report(written + rejectedCount);
                }
                await writer.CompleteAsync(ct);
            }
            rejects.Flush();
            completed = true;
        }
        finally
        {
            // A half-written target must never be published.
            if (!completed) File.Delete(targetPath);
        }
        return new ConversionResult(columns, written + rejectedCount, written, rejectedCount, first, DataFiles.WarningsOf(reader));
    }
}
