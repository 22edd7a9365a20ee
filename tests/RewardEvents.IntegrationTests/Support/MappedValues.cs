using Microsoft.EntityFrameworkCore.Metadata;

namespace RewardEvents.IntegrationTests.Support;

/// <summary>Compares two objects column by column, as EF Core maps them, for statements written by hand.</summary>
public static class MappedValues
{
    /// <summary>
    /// Every mapped property of <paramref name="loaded"/> equals <paramref name="seeded"/>'s, and each was seeded
    /// with a value other than a new object's, so the comparison can tell a column written or read from one left out.
    /// </summary>
    public static void AssertSame<T>(IModel model, T seeded, T? loaded)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(model);
        Assert.NotNull(loaded);
        foreach (var property in model.FindEntityType(typeof(T))!.GetProperties())
        {
            var info = property.PropertyInfo!;
            var expected = info.GetValue(seeded);
            var unset = info.GetValue(Activator.CreateInstance<T>()); // what a row built without this column would hold
            Assert.False(Equals(expected, unset), $"seed {typeof(T).Name}.{info.Name} with a value other than {unset ?? "null"}, so the test can tell it was read");
            Assert.True(Equals(expected, info.GetValue(loaded)), $"{typeof(T).Name}.{info.Name}: seeded {expected}, read {info.GetValue(loaded)}");
        }
    }
}
