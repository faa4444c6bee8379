namespace Sluice.Formats.Csv;

/// <summary>
/// One chunk of a CSV file: whole records from byte <see cref="Offset"/>, <see cref="Length"/> bytes long, the first
/// starting on physical line <see cref="FirstLine"/>. Read with the file's header (its first
/// <see cref="CsvChunkPlan.HeaderBytes"/> bytes) in front, it is a CSV file of its own.
/// </summary>
public sealed record CsvChunk(int Index, long Offset, long Length, long FirstLine, long Records);
