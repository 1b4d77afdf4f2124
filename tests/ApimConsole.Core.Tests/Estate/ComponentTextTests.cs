using ApimConsole.Core.Estate;

namespace ApimConsole.Core.Tests.Estate;

public class ComponentTextTests
{
    [Theory]
    [InlineData(ComponentKind.AdminNodeManager, "Admin Node Manager (anm.dc1:8090)", "Admin Node Manager (anm.dc1:8090)")]
    [InlineData(ComponentKind.AdminNodeManager, "anm", "Admin Node Manager anm")]
    [InlineData(ComponentKind.GatewayInstance, "instance-2", "Gateway instance instance-2")]
    [InlineData(ComponentKind.CassandraNode, "cassandra node 3", "cassandra node 3")]
    [InlineData(ComponentKind.CassandraNode, " ", "Cassandra node")]
    public void Named_SaysTheKindOnce(ComponentKind kind, string name, string expected) =>
        Assert.Equal(expected, ComponentText.Named(kind, name));

    [Theory]
    [InlineData("connection refused", " Probe: connection refused.")]
    [InlineData(" no answer within 1000 ms. ", " Probe: no answer within 1000 ms.")]
    [InlineData(null, "")]
    [InlineData("", "")]
    public void ReasonSentence_IsOneCleanSentence(string? reason, string expected) =>
        Assert.Equal(expected, ComponentText.ReasonSentence(reason));
}
