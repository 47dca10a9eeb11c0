/// A value bound to a statement parameter.
///
/// Literals work directly: `try stmt.bind(42, "tag", nil)`.
public enum SQLiteValue: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case double(Double)
    case null

    /// `.text(value)` or `.null` when `value` is nil.
    @inlinable
    public static func optionalText(_ value: String?) -> SQLiteValue {
        if let value { return .text(value) }
        return .null
    }

    /// `.int(Int64(value))`, for the common `Int` case.
    @inlinable
    public static func integer(_ value: Int) -> SQLiteValue { .int(Int64(value)) }
}

extension SQLiteValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension SQLiteValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}

extension SQLiteValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension SQLiteValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}
