namespace ApimConsole.Storage;

/// <summary>
/// Files and folders only the console's account may read: the SQLite store (password hashes, the audit trail) and the
/// cookie keys. On Unix a folder the console creates is mode 700 and the store file 600 (an existing store file is
/// tightened to 600 too: it holds password hashes); on Windows the folder's inherited ACL applies.
/// </summary>
public static class OwnerOnly
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="folder"/> (and missing parents) as 700; an existing one is left as it is unless <paramref name="tighten"/>.</summary>
    public static void CreateFolder(string folder, bool tighten = false)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }
        if (!Directory.Exists(folder))
            Directory.CreateDirectory(folder, FolderMode);
        else if (tighten)
            File.SetUnixFileMode(folder, FolderMode);
    }

    /// <summary>Creates <paramref name="file"/> empty as 600 when it does not exist, else makes it 600.</summary>
    public static void CreateFile(string file)
    {
        if (OperatingSystem.IsWindows())
            return;
        if (File.Exists(file))
        {
            if ((File.GetUnixFileMode(file) & ~FileMode) != 0)
                File.SetUnixFileMode(file, FileMode);
            return;
        }
        try
        {
            using var _ = new FileStream(file, new FileStreamOptions
            {
                Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode,
            });
        }
        catch (IOException) when (File.Exists(file))
        {
            // Created by another console on the same folder in the meantime.
        }
    }
}
