namespace Sluice.Observability;

public enum LogLevel
{
    Debug,
    Info,
    Warn,
    Error,
}
