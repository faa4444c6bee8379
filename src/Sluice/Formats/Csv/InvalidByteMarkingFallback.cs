using System.Text;

namespace Sluice.Formats.Csv;

/// <summary>
/// A decoder fallback that replaces each undecodable byte sequence with U+FFFF and counts it, so
/// that the CSV reader can reject exactly the rows that held invalid bytes instead of silently
/// storing U+FFFD or failing the whole file at an unknown line.
/// </summary>
/// <remarks>
/// U+FFFF is a Unicode noncharacter: it never appears in interchanged text, so a row holding it
/// after decoding held an invalid byte. Rows are scanned for it only once <see cref="Count"/> is
/// above zero, which keeps valid files on the fast path.
/// </remarks>
internal sealed class InvalidByteMarkingFallback : DecoderFallback
{
    public const char Marker = '\uFFFF';

    /// <summary>Invalid byte sequences met so far.</summary>
    public long Count { get; private set; }

    public override int MaxCharCount => 1;

    public override DecoderFallbackBuffer CreateFallbackBuffer() => new MarkerBuffer(this);

    private sealed class MarkerBuffer(InvalidByteMarkingFallback owner) : DecoderFallbackBuffer
    {
        private int _remaining;

        public override int Remaining => _remaining;

        public override bool Fallback(byte[] bytesUnknown, int index)
        {
            owner.Count++;
            _remaining = 1;
            return true;
        }

        public override char GetNextChar()
        {
            if (_remaining == 0)
            {
                return '\0';
            }

            _remaining--;
            return Marker;
        }

        public override bool MovePrevious()
        {
            if (_remaining != 0)
            {
                return false;
            }

            _remaining = 1;
            return true;
        }

        public override void Reset() => _remaining = 0;
    }
}
