// Which error statuses a route may answer on a correct server (read per response: a bit test, no allocation).

/// A set of HTTP statuses 0...639 as a fixed bit field.
struct StatusSet: Sendable, Equatable {
    private var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    init(_ statuses: [Int] = []) {
        for status in statuses where (0..<640).contains(status) {
            withUnsafeMutableBytes(of: &words) { raw in
                let w = raw.bindMemory(to: UInt64.self)
                w[status >> 6] |= 1 << UInt64(status & 63)
            }
        }
    }

    @inline(__always)
    func contains(_ status: Int) -> Bool {
        guard (0..<640).contains(status) else { return false }
        return withUnsafeBytes(of: words) { raw in
            raw.load(fromByteOffset: (status >> 6) * 8, as: UInt64.self) & (1 << UInt64(status & 63)) != 0
        }
    }

    static func == (a: StatusSet, b: StatusSet) -> Bool {
        withUnsafeBytes(of: a.words) { x in withUnsafeBytes(of: b.words) { y in x.elementsEqual(y) } }
    }
}

extension CompiledRoute {
    /// A response is an unexpected error when its status is ≥ 400 and the route does not declare it.
    @inline(__always)
    func isUnexpectedError(_ status: Int) -> Bool {
        status >= 400 && !expectedErrors.contains(status)
    }
}
