namespace ApimConsole.Storage;
