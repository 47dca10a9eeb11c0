/// THE list of verify checks, in the order of the table. Adding a check: one file in `Verify/Checks/` (a
/// `VerifyCheck`), one line here.
public enum VerifyChecks {
    public static let all: [any VerifyCheck] = [
        ResponseTimeCheck(),
        DatabaseLoadCheck(),
        QueryTimeCheck(),
        NonBlockingCheck(),
        ExternalCallsCheck(),
        PoolingCheck(),
        PayloadsCheck(),
        MemoryCheck(),
        CapacityCheck(),
    ]

    /// The checks a `--check` value names: the exact name, else every check with a word starting with it
    /// ("memory", "pool", "response").
    public static func matching(_ text: String) -> [any VerifyCheck] {
        let t = text.lowercased()
        if let exact = all.first(where: { $0.name == t }) { return [exact] }
        return all.filter { $0.name.split(separator: " ").contains { $0.hasPrefix(t) } }
    }
}
