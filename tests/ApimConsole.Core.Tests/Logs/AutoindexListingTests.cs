using ApimConsole.Core.Logs;

namespace ApimConsole.Core.Tests.Logs;

public sealed class AutoindexListingTests
{
    [Fact]
    public void NginxJsonListing_GivesFilesAndDirectories()
    {
        // As nginx 1.22 writes it (autoindex_format json).
        const string json = """
            [
            { "name":"g1", "type":"directory", "mtime":"Mon, 23 Nov 2026 19:34:16 GMT" },
            { "name":"we ird\"name.trc", "type":"file", "mtime":"Mon, 23 Nov 2026 19:34:16 GMT", "size":1 },
            { "name":"fifo", "type":"other", "mtime":"Mon, 23 Nov 2026 19:34:16 GMT" }
            ]
            """;

        var entries = AutoindexListing.Parse(json);

        Assert.Equal(2, entries.Count);
        Assert.Equal(new AutoindexEntry("g1", true, new DateTimeOffset(2026, 11, 23, 19, 34, 16, TimeSpan.Zero), null), entries[0]);
        Assert.Equal("we ird\"name.trc", entries[1].Name);
        Assert.False(entries[1].IsDirectory);
        Assert.Equal(1, entries[1].Size);
    }

    [Fact]
    public void EmptyFolder_IsAnEmptyArray() => Assert.Empty(AutoindexListing.Parse("[]"));

    [Theory]
    [InlineData("<html><body><a href=\"g1/\">g1/</a></body></html>", "not JSON")]
    [InlineData("{\"files\":[]}", "not a JSON array")]
    [InlineData("[{\"type\":\"file\",\"size\":1}]", "lacks a 'name'")]
    [InlineData("[{\"name\":\"a.trc\",\"type\":\"file\"}]", "without a 'size'")]
    [InlineData("[{\"name\":\"../etc\",\"type\":\"directory\"}]", "not a plain file name")]
    [InlineData("[1,2]", "lacks a 'name'")]
    public void NotAListing_IsAFormatExceptionThatSaysWhy(string json, string why)
    {
        var error = Assert.Throws<FormatException>(() => AutoindexListing.Parse(json));
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void UnreadableMtime_IsLeftOut_NotFatal()
    {
        var entry = Assert.Single(AutoindexListing.Parse("[{\"name\":\"a.trc\",\"type\":\"file\",\"mtime\":\"yesterday\",\"size\":5}]"));
        Assert.Null(entry.LastModified);
        Assert.Equal(5, entry.Size);
    }
}
