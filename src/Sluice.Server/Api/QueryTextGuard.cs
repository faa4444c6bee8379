using Microsoft.AspNetCore.Http;
using Sluice.Errors;

namespace Sluice.Server.Api;

/// <summary>
/// Refuses a query string holding a control character (400 <c>request.control_character</c>, naming the parameter).
/// Every query parameter of the API is a name, an id, a time or a number, none of which can hold one; a NUL would
/// otherwise reach PostgreSQL, which cannot store it in text.
/// </summary>
internal sealed class QueryTextGuard(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext ctx)
    {
        foreach (var (name, values) in ctx.Request.Query)
            if (name.Any(char.IsControl) || values.Any(v => v is not null && v.Any(char.IsControl)))
                throw new SluiceException("request.control_character",
                    $"query parameter '{Storage.ObjectKey.Printable(name)}' holds a control character; send it without one.");
        return next(ctx);
    }
}
