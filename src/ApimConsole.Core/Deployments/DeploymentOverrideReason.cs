namespace ApimConsole.Core.Deployments;

/// <summary>
/// The written reason a break-glass override needs: it must say something. At least
/// <see cref="MinLength"/> characters, of which at least <see cref="MinLetters"/> letters and
/// <see cref="MinDistinctLetters"/> different ones (eleven dots, or "aaaaaaaaaa", say nothing), no control characters,
/// at most <see cref="MaxLength"/>.
/// </summary>
public static class DeploymentOverrideReason
{
    public const int MinLength = 10;
    public const int MinLetters = 6;
    public const int MinDistinctLetters = 3;
    public const int MaxLength = 2000;

    /// <summary>Null when <paramref name="reason"/> (already trimmed, non-empty) will do, else what is wrong with it.</summary>
    public static string? Problem(string reason)
    {
        const string Say = "Say why, in words (e.g. \"INC-4711: dc2 is being rebuilt, dc1 must get the fix now\").";
        if (reason.Length < MinLength)
            return $"An override needs a written reason of at least {MinLength} characters. {Say}";
        if (reason.Length > MaxLength)
            return $"The override reason is longer than {MaxLength} characters.";
        if (reason.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            return "The override reason holds control characters.";
        var letters = reason.Where(char.IsLetter).ToList();
        if (letters.Count < MinLetters || letters.Select(char.ToLowerInvariant).Distinct().Count() < MinDistinctLetters)
            return $"The override reason must say something: at least {MinLetters} letters. {Say}";
        return null;
    }
}
