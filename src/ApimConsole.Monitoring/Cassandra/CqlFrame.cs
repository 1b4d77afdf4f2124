namespace ApimConsole.Monitoring.Cassandra;

/// <summary>Opcodes of CQL native protocol v4 (spec section 2.4).</summary>
public enum CqlOpcode : byte
{
    Error = 0x00,
    Startup = 0x01,
    Ready = 0x02,
    Authenticate = 0x03,
    Options = 0x05,
    Supported = 0x06,
    Query = 0x07,
    Result = 0x08,
    Prepare = 0x09,
    Execute = 0x0A,
    Register = 0x0B,
    Event = 0x0C,
    Batch = 0x0D,
    AuthChallenge = 0x0E,
    AuthResponse = 0x0F,
    AuthSuccess = 0x10,
}

/// <summary>The 9-byte header of a v3+ frame: version (high bit set on responses), flags, stream, opcode, body length.</summary>
public readonly record struct CqlFrameHeader(byte Version, byte Flags, short Stream, CqlOpcode Opcode, int BodyLength)
{
    public const int Size = 9;

    public const byte FlagCompression = 0x01;
    public const byte FlagTracing = 0x02;
    public const byte FlagCustomPayload = 0x04;
    public const byte FlagWarning = 0x08;

    public bool IsResponse => (Version & 0x80) != 0;

    public int ProtocolVersion => Version & 0x7F;
}

/// <summary>A whole frame as read off the wire.</summary>
public sealed record CqlFrame(CqlFrameHeader Header, ReadOnlyMemory<byte> Body);

/// <summary>A server that does not follow the protocol: the message is the reason shown to operators.</summary>
public sealed class CqlProtocolException(string message) : Exception(message);

/// <summary>An ERROR response (spec section 9).</summary>
public sealed record CqlError(int Code, string Message)
{
    public const int ProtocolError = 0x000A;
    public const int BadCredentials = 0x0100;

    public override string ToString() => $"error 0x{Code:X4}: {Message}";
}
