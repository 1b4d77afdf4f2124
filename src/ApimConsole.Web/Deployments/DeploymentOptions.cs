using ApimConsole.Core.Deployments;

namespace ApimConsole.Web.Deployments;

/// <summary>Deployments, bound from the <c>Deployments</c> section of appsettings.json.</summary>
public sealed class DeploymentOptions
{
    public const string SectionName = "Deployments";

    /// <summary>Break-glass: an administrator may deploy against a Block with a written reason. Off: no one may.</summary>
    public bool AllowOverride { get; set; } = true;

    /// <summary>Size and zip-bomb limits on an upload.</summary>
    public DeploymentArchiveLimits Limits { get; set; } = new();

    /// <summary>Longest an archive upload to one datacenter's ANM may take.</summary>
    public TimeSpan UploadTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest one instance may take to load an archive (an instance restarts its configuration).</summary>
    public TimeSpan PushTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest a read from an ANM may take (topology, deployed archives).</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the ANMs are asked again about loads whose outcome is still unknown.</summary>
    public TimeSpan LearnInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the deployed archives are read to show drift (also after every deployment write).</summary>
    public TimeSpan DriftInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Problems a person can fix in appsettings.json, each naming its key.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromHours(1))
                errors.Add($"{SectionName}:{key} must be between 00:00:00.001 and 01:00:00 (found {value}).");
        }
        Positive(UploadTimeout, nameof(UploadTimeout));
        Positive(PushTimeout, nameof(PushTimeout));
        Positive(ReadTimeout, nameof(ReadTimeout));
        Positive(LearnInterval, nameof(LearnInterval));
        Positive(DriftInterval, nameof(DriftInterval));
        if (Limits.MaxUploadBytes < 1024)
            errors.Add($"{SectionName}:Limits:MaxUploadBytes must be at least 1024 (found {Limits.MaxUploadBytes}).");
        if (Limits.MaxUncompressedBytes < 1024)
            errors.Add($"{SectionName}:Limits:MaxUncompressedBytes must be at least 1024 (found {Limits.MaxUncompressedBytes}).");
        if (Limits.MaxEntries < 1)
            errors.Add($"{SectionName}:Limits:MaxEntries must be at least 1 (found {Limits.MaxEntries}).");
        if (Limits.MaxCompressionRatio < 2)
            errors.Add($"{SectionName}:Limits:MaxCompressionRatio must be at least 2 (found {Limits.MaxCompressionRatio}).");
        return errors;
    }
}
