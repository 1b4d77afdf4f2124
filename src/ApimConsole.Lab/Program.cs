namespace ApimConsole.Lab;

/// <summary>Standalone lab: <c>dotnet run --project src/ApimConsole.Lab</c>.</summary>
public static class LabProgram
{
    public static int Main(string[] args)
    {
        Console.WriteLine("ApimConsole lab");
        return 0;
    }
}
