namespace ApimConsole.Monitoring;
