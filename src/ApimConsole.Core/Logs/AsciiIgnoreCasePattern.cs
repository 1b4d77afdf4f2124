using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace ApimConsole.Core.Logs;

/// <summary>
/// A fixed byte string found in raw file bytes ignoring the case of ASCII letters (other bytes match exactly), without
/// decoding: the first and last bytes of the pattern are compared 32 positions at a time and only the positions where
/// both agree are checked in full. The trace search runs it over whole chunks and parses only around its hits.
/// </summary>
public sealed class AsciiIgnoreCasePattern
{
    private readonly byte[] _pattern;
    private readonly bool _hasLetters;
    private readonly byte _firstFold, _firstValue, _lastFold, _lastValue;

    public AsciiIgnoreCasePattern(ReadOnlySpan<byte> pattern)
    {
        if (pattern.IsEmpty)
            throw new ArgumentException("the pattern is empty", nameof(pattern));
        _pattern = pattern.ToArray();
        foreach (ref var b in _pattern.AsSpan())
        {
            if (char.IsAsciiLetterUpper((char)b))
                b = (byte)(b | 0x20);
            _hasLetters |= char.IsAsciiLetterLower((char)b);
        }
        (_firstFold, _firstValue) = Anchor(_pattern[0]);
        (_lastFold, _lastValue) = Anchor(_pattern[^1]);
    }

    /// <summary>The pattern of a string's UTF-8 bytes.</summary>
    public AsciiIgnoreCasePattern(string pattern)
        : this(Encoding.UTF8.GetBytes(pattern ?? throw new ArgumentNullException(nameof(pattern))))
    {
    }

    public int Length => _pattern.Length;

    /// <summary>Where the pattern first occurs in <paramref name="haystack"/>; -1 when it does not.</summary>
    public int IndexOf(ReadOnlySpan<byte> haystack)
    {
        if (!_hasLetters)
            return haystack.IndexOf(_pattern); // nothing to fold: the runtime's own vectorized search
        var n = _pattern.Length;
        if (haystack.Length < n)
            return -1;
        var i = 0;
        if (Vector256.IsHardwareAccelerated && n > 1)
        {
            ref var start = ref MemoryMarshal.GetReference(haystack);
            var firstFold = Vector256.Create(_firstFold);
            var firstValue = Vector256.Create(_firstValue);
            var lastFold = Vector256.Create(_lastFold);
            var lastValue = Vector256.Create(_lastValue);
            var lastStart = haystack.Length - n - Vector256<byte>.Count;
            for (; i <= lastStart; i += Vector256<byte>.Count)
            {
                var first = Vector256.LoadUnsafe(ref start, (nuint)i);
                var last = Vector256.LoadUnsafe(ref start, (nuint)(i + n - 1));
                var both = Vector256.Equals(first | firstFold, firstValue) & Vector256.Equals(last | lastFold, lastValue);
                var mask = both.ExtractMostSignificantBits();
                while (mask != 0)
                {
                    var at = i + BitOperations.TrailingZeroCount(mask);
                    if (Ascii.EqualsIgnoreCase(haystack.Slice(at, n), _pattern))
                        return at;
                    mask &= mask - 1;
                }
            }
        }
        for (; i <= haystack.Length - n; i++)
        {
            var candidate = haystack.Slice(i, n);
            if ((candidate[0] | _firstFold) == _firstValue && Ascii.EqualsIgnoreCase(candidate, _pattern))
                return i;
        }
        return -1;
    }

    /// <summary>What to OR a byte with, and what it must then equal, for it to match <paramref name="b"/> in either case.</summary>
    private static (byte Fold, byte Value) Anchor(byte b) =>
        char.IsAsciiLetterLower((char)b) ? ((byte)0x20, b) : ((byte)0, b);
}
