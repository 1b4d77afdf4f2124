using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace ApimConsole.Core.Logs;

/// <summary>
/// A fixed byte string found in raw file bytes ignoring the case of ASCII letters (other bytes match exactly), without
/// decoding. Two of the pattern's bytes, its rarest in trace text (<see cref="TraceByteFrequency"/>), are compared 64
/// positions at a time and only the positions where both agree are checked in full. The trace search runs it over whole
/// chunks and parses only around its hits.
/// </summary>
/// <remarks>
/// Why the rarest and not the first and last bytes: a correlation id is all hex digits, which trace lines are full of
/// (every line has a 24-digit id, a thread id and a timestamp), so two common anchors let many positions through to
/// the full comparison; two rare ones let through about a quarter as many.
/// </remarks>
public sealed class AsciiIgnoreCasePattern
{
    private const int Block = 2 * 32;

    private readonly byte[] _pattern;
    private readonly bool _ascii;
    private readonly byte _firstFold, _firstValue, _secondFold, _secondValue;

    public AsciiIgnoreCasePattern(ReadOnlySpan<byte> pattern)
    {
        if (pattern.IsEmpty)
            throw new ArgumentException("the pattern is empty", nameof(pattern));
        _pattern = pattern.ToArray();
        foreach (ref var b in _pattern.AsSpan())
        {
            if (char.IsAsciiLetterUpper((char)b))
                b = (byte)(b | 0x20);
        }
        _ascii = Ascii.IsValid(_pattern);
        (FirstAnchor, SecondAnchor) = Anchors(_pattern);
        (_firstFold, _firstValue) = Fold(_pattern[FirstAnchor]);
        (_secondFold, _secondValue) = Fold(_pattern[SecondAnchor]);
    }

    /// <summary>The pattern of a string's UTF-8 bytes.</summary>
    public AsciiIgnoreCasePattern(string pattern)
        : this(Encoding.UTF8.GetBytes(pattern ?? throw new ArgumentNullException(nameof(pattern))))
    {
    }

    public int Length => _pattern.Length;

    /// <summary>The offset in the pattern of its rarest byte, the first filter of a candidate position.</summary>
    public int FirstAnchor { get; }

    /// <summary>
    /// The offset of the second filter: the rarest byte at another offset, a different byte value preferred (two
    /// different bytes filter more than one byte twice); the same offset as <see cref="FirstAnchor"/> only for a
    /// one-byte pattern.
    /// </summary>
    public int SecondAnchor { get; }

    /// <summary>Where the pattern first occurs in <paramref name="haystack"/>; -1 when it does not.</summary>
    /// <remarks>
    /// Compiled optimized at once: each call is a loop over up to a chunk, called too few times for tiered compilation
    /// to settle (a profile of the benchmark showed most of its time in on-stack-replacement versions of this loop).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int IndexOf(ReadOnlySpan<byte> haystack)
    {
        var n = _pattern.Length;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(haystack);
            var firstFold = Vector256.Create(_firstFold);
            var firstValue = Vector256.Create(_firstValue);
            var secondFold = Vector256.Create(_secondFold);
            var secondValue = Vector256.Create(_secondValue);
            var first = (nuint)FirstAnchor;
            var second = (nuint)SecondAnchor;
            // Two vectors a step: a 64-byte block with no candidate (nearly all of them) costs one branch.
            for (; i <= haystack.Length - n - Block; i += Block)
            {
                var at = (nuint)i;
                var low = Vector256.Equals(Vector256.LoadUnsafe(ref start, at + first) | firstFold, firstValue)
                    & Vector256.Equals(Vector256.LoadUnsafe(ref start, at + second) | secondFold, secondValue);
                var high = Vector256.Equals(Vector256.LoadUnsafe(ref start, at + 32 + first) | firstFold, firstValue)
                    & Vector256.Equals(Vector256.LoadUnsafe(ref start, at + 32 + second) | secondFold, secondValue);
                if ((low | high) == Vector256<byte>.Zero)
                    continue;
                var mask = low.ExtractMostSignificantBits() | ((ulong)high.ExtractMostSignificantBits() << 32);
                while (mask != 0)
                {
                    var candidate = i + BitOperations.TrailingZeroCount(mask);
                    if (Matches(haystack.Slice(candidate, n)))
                        return candidate;
                    mask &= mask - 1;
                }
            }
        }
        for (; i <= haystack.Length - n; i++)
        {
            if ((haystack[i + FirstAnchor] | _firstFold) == _firstValue && Matches(haystack.Slice(i, n)))
                return i;
        }
        return -1;
    }

    /// <summary>Whether <paramref name="candidate"/> (the pattern's length) is the pattern, ASCII letters in either case.</summary>
    private bool Matches(ReadOnlySpan<byte> candidate)
    {
        // The runtime's comparison answers false for any byte outside ASCII: right for an ASCII pattern (such a byte
        // never equals one of its bytes), wrong for a pattern with UTF-8 text in it ("Müller"), compared byte by byte.
        if (_ascii)
            return Ascii.EqualsIgnoreCase(candidate, _pattern);
        for (var i = 0; i < candidate.Length; i++)
        {
            var b = candidate[i];
            if ((char.IsAsciiLetterUpper((char)b) ? (byte)(b | 0x20) : b) != _pattern[i])
                return false;
        }
        return true;
    }

    /// <summary>The two anchor offsets of a (case folded) pattern: see <see cref="FirstAnchor"/> and <see cref="SecondAnchor"/>.</summary>
    private static (int First, int Second) Anchors(ReadOnlySpan<byte> pattern)
    {
        var first = 0;
        for (var i = 1; i < pattern.Length; i++)
        {
            if (TraceByteFrequency.Of(pattern[i]) < TraceByteFrequency.Of(pattern[first]))
                first = i;
        }
        var second = -1;
        for (var i = 0; i < pattern.Length; i++)
        {
            if (i == first)
                continue;
            if (second < 0 || IsBetterSecond(pattern[i], pattern[second], pattern[first]))
                second = i;
        }
        return (first, second < 0 ? first : second);
    }

    private static bool IsBetterSecond(byte candidate, byte best, byte first)
    {
        if ((candidate == first) != (best == first))
            return best == first;
        return TraceByteFrequency.Of(candidate) < TraceByteFrequency.Of(best);
    }

    /// <summary>What to OR a byte with, and what it must then equal, for it to match <paramref name="b"/> in either case.</summary>
    private static (byte Fold, byte Value) Fold(byte b) =>
        char.IsAsciiLetterLower((char)b) ? ((byte)0x20, b) : ((byte)0, b);
}
