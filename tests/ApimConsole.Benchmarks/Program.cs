Console.WriteLine("usage: dotnet run -c Release --project tests/ApimConsole.Benchmarks -- <benchmark>");
return 0;
