using System.Reflection;
using System.Text;

namespace SpDnn.Tests.PublicApi;

/// <summary>
/// The public surface of an assembly as sorted text, one line per type and per member visible outside
/// it (public, or protected in a type that can be derived from), so a change to it shows as a diff.
/// </summary>
public static class PublicApiListing
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public static string Of(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            lines.Add($"{Kind(type)} {Name(type)}{Bases(type)}");
            foreach (var member in type.GetMembers(Declared).Where(m => Visible(m, type)))
                if (Describe(member) is { } text) lines.Add($"{Name(type)}::{text}");
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines) + "\n";
    }

    private static bool Visible(MemberInfo member, Type owner)
    {
        bool derivable = !owner.IsSealed && !owner.IsValueType && !owner.IsInterface;
        return member switch
        {
            MethodBase m => m.IsPublic || (derivable && (m.IsFamily || m.IsFamilyOrAssembly)),
            FieldInfo f => f.IsPublic || (derivable && (f.IsFamily || f.IsFamilyOrAssembly)),
            PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => Visible(a, owner)),
            EventInfo e => e.AddMethod is { } add && Visible(add, owner),
            Type nested => nested.IsNestedPublic || (derivable && nested.IsNestedFamily),
            _ => false,
        };
    }

    private static string? Describe(MemberInfo member) => member switch
    {
        // Accessors appear through their property or event; nested types are listed as types.
        MethodInfo m when m.IsSpecialName && !m.Name.StartsWith("op_", StringComparison.Ordinal) => null,
        Type => null,
        ConstructorInfo c => $"{(c.IsStatic ? "static " : "")}.ctor({Parameters(c)})",
        MethodInfo m => $"{(m.IsStatic ? "static " : m.IsAbstract ? "abstract " : m.IsVirtual && m.GetBaseDefinition() == m && !m.IsFinal ? "virtual " : "")}" +
                        $"{Name(m.ReturnType)} {m.Name}{Generics(m)}({Parameters(m)})",
        PropertyInfo p => $"{(p.GetAccessors(true)[0].IsStatic ? "static " : "")}{Name(p.PropertyType)} {p.Name}" +
                          $"{(p.GetIndexParameters() is { Length: > 0 } index ? $"[{string.Join(", ", index.Select(i => Name(i.ParameterType)))}]" : "")}" +
                          $" {{{(p.GetMethod is { } g && (g.IsPublic || g.IsFamily) ? " get;" : "")}{Setter(p)} }}",
        FieldInfo f => $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Name(f.FieldType)} {f.Name}" +
                       $"{(f.IsLiteral ? $" = {Literal(f.GetRawConstantValue())}" : "")}",
        EventInfo e => $"event {Name(e.EventHandlerType!)} {e.Name}",
        _ => null,
    };

    private static string Setter(PropertyInfo p)
    {
        if (p.SetMethod is not { } set || !(set.IsPublic || set.IsFamily)) return "";
        bool init = set.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit");
        return init ? " init;" : " set;";
    }

    private static string Literal(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Parameters(MethodBase method) => string.Join(", ", method.GetParameters().Select(p =>
        $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? (p.IsIn ? "in " : "ref ") : "")}{Name(p.ParameterType)} {p.Name}" +
        (p.HasDefaultValue ? $" = {Literal(p.DefaultValue)}" : "")));

    private static string Generics(MethodInfo m) => m.IsGenericMethodDefinition ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : "";

    private static string Kind(Type t) =>
        t.IsInterface ? "interface" : t.IsEnum ? "enum" : t.IsValueType ? "struct" : typeof(Delegate).IsAssignableFrom(t) ? "delegate"
        : t.IsAbstract && t.IsSealed ? "static class" : t.IsAbstract ? "abstract class" : t.IsSealed ? "sealed class" : "class";

    private static string Bases(Type t)
    {
        var bases = new List<string>();
        if (t.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && !typeof(Delegate).IsAssignableFrom(t))
            bases.Add(Name(b));
        bases.AddRange(t.GetInterfaces().Select(Name).Order(StringComparer.Ordinal));
        return bases.Count > 0 ? " : " + string.Join(", ", bases) : "";
    }

    /// <summary>A type's name as C# writes it, with namespaces and generic arguments.</summary>
    public static string Name(Type t)
    {
        if (t.IsByRef) return Name(t.GetElementType()!);
        if (t.IsArray) return Name(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (t.IsPointer) return Name(t.GetElementType()!) + "*";
        if (t.IsGenericParameter) return t.Name;
        if (Nullable.GetUnderlyingType(t) is { } inner) return Name(inner) + "?";
        string name = t.IsNested ? Name(t.DeclaringType!) + "." + t.Name : (t.Namespace is { } ns ? ns + "." : "") + t.Name;
        int tick = name.IndexOf('`');
        if (tick >= 0) name = name[..tick];
        if (!t.IsGenericType) return name;
        var own = t.GetGenericArguments().Skip(t.IsNested ? t.DeclaringType!.GetGenericArguments().Length : 0).ToArray();
        return own.Length == 0 ? name : $"{name}<{string.Join(", ", own.Select(Name))}>";
    }
}
