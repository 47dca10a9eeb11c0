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
}
