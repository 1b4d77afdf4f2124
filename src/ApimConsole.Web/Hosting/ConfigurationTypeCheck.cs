using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace ApimConsole.Web.Hosting;

/// <summary>
/// Checks the raw configuration of a section against its options type before the binder sees it. The binder throws
/// on a value it cannot convert, or, inside a list, silently drops the whole element (a datacenter whose
/// <c>Gateways:TrafficPort</c> is <c>eighty</c> disappears, and start-up then complains about something else). This
/// pass names every such key and its value instead: <c>Estate:Datacenters:0:Gateways:TrafficPort: 'eighty' is not a number</c>.
/// </summary>
public static class ConfigurationTypeCheck
{
    /// <summary>Every key under <paramref name="section"/> whose value cannot be converted to its property's type.</summary>
    public static IReadOnlyList<string> Check(IConfigurationSection section, Type optionsType)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(optionsType);
        var errors = new List<string>();
        CheckObject(section, optionsType, errors, depth: 0);
        return errors;
    }

    /// <summary>Throws an <see cref="OptionsValidationException"/> listing every key of the wrong type, if any.</summary>
    public static void ThrowIfInvalid<TOptions>(IConfigurationSection section)
    {
        var errors = Check(section, typeof(TOptions));
        if (errors.Count > 0)
            throw new OptionsValidationException(section.Path, typeof(TOptions), errors);
    }

    /// <summary>
    /// Binds <paramref name="section"/> to <typeparamref name="TOptions"/> after the type check, so a value of the wrong
    /// type stops the host at start with its key named, never a binder message or a silently dropped entry.
    /// </summary>
    public static OptionsBuilder<TOptions> BindChecked<TOptions>(this OptionsBuilder<TOptions> builder, IConfigurationSection section)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Configure actions run in the order they were added: the check runs before the binder.
        builder.Configure(_ => ThrowIfInvalid<TOptions>(section));
        return builder.Bind(section);
    }

    /// <summary><paramref name="section"/> bound to a new <typeparamref name="TOptions"/> after the type check.</summary>
    public static TOptions GetChecked<TOptions>(this IConfigurationSection section) where TOptions : class, new()
    {
        ThrowIfInvalid<TOptions>(section);
        return section.Get<TOptions>() ?? new TOptions();
    }

    private static void CheckObject(IConfigurationSection section, Type type, List<string> errors, int depth)
    {
        if (depth > 16)
            return;
        foreach (var child in section.GetChildren())
        {
            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || property.GetIndexParameters().Length > 0)
                continue; // unknown keys are the binder's to ignore, as they always were
            CheckValue(child, property.PropertyType, errors, depth + 1);
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, List<string> errors, int depth)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(target))
        {
            if (section.Value is { } value && !(Nullable.GetUnderlyingType(type) is not null && value.Length == 0) && !Converts(value, target))
                errors.Add($"{section.Path}: '{value}' is not {Expected(target)}.");
            return;
        }
        if (target.IsArray)
        {
            CheckElements(section, target.GetElementType()!, errors, depth);
            return;
        }
        if (DictionaryValueType(target) is { } valueType)
        {
            CheckElements(section, valueType, errors, depth);
            return;
        }
        if (EnumerableElementType(target) is { } elementType)
        {
            CheckElements(section, elementType, errors, depth);
            return;
        }
        if (target.IsClass && target != typeof(object))
            CheckObject(section, target, errors, depth);
    }

    private static void CheckElements(IConfigurationSection section, Type elementType, List<string> errors, int depth)
    {
        foreach (var element in section.GetChildren())
            CheckValue(element, elementType, errors, depth + 1);
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
        || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(Uri)
        || type == typeof(TimeOnly) || type == typeof(DateOnly);

    private static bool Converts(string value, Type type)
    {
        if (type == typeof(string))
            return true;
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException
            || ex.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string Expected(Type type)
    {
        if (type.IsEnum)
            return "one of " + string.Join(", ", Enum.GetNames(type));
        if (type == typeof(bool))
            return "true or false";
        if (type == typeof(TimeSpan))
            return "a duration (hh:mm:ss)";
        if (type == typeof(Uri))
            return "a URI";
        if (type == typeof(Guid))
            return "a GUID";
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly))
            return "a date or time";
        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte)
            || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(sbyte))
            return "a number";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
            return "a number";
        return $"a {type.Name}";
    }

    private static Type? DictionaryValueType(Type type)
    {
        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() is var d
            && (d == typeof(Dictionary<,>) || d == typeof(IDictionary<,>) || d == typeof(IReadOnlyDictionary<,>))
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        return dictionary?.GetGenericArguments()[1];
    }

    private static Type? EnumerableElementType(Type type)
    {
        if (!typeof(IEnumerable).IsAssignableFrom(type))
            return null;
        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }
}
