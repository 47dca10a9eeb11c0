// Differences of totals. Every count in a `Snapshot` is a total that only grows, except when it starts over: the
// user reset the statistics, or the backend restarted. One rule for both, here and nowhere else: a total that went
// down started over from zero, so everything it holds now is new.

extension UInt64 {
    /// How much this total grew since `earlier` (nil: counts from zero). A total below `earlier` started over:
    /// the whole of it is new.
    @inlinable
    public func increase(since earlier: UInt64?) -> UInt64 {
        guard let earlier, self >= earlier else { return self }
        return self - earlier
    }
}

extension LoadCounts {
    /// `self − earlier`, field by field. When `sent` or `completed` went down the statistics were reset in between,
    /// and `self` is taken whole.
    public func since(_ earlier: LoadCounts) -> LoadCounts {
        if sent < earlier.sent || completed < earlier.completed { return self }
        var d = LoadCounts()
        d.sent = sent - earlier.sent
        d.completed = completed - earlier.completed
        d.errors = errors.increase(since: earlier.errors)
        d.unexpectedErrors = unexpectedErrors.increase(since: earlier.unexpectedErrors)
        d.bytesReceived = bytesReceived.increase(since: earlier.bytesReceived)
        d.bytesDecoded = bytesDecoded.increase(since: earlier.bytesDecoded)
        for (k, v) in statusCounts { d.statusCounts[k] = v.increase(since: earlier.statusCounts[k]) }
        for (k, v) in transportErrors { d.transportErrors[k] = v.increase(since: earlier.transportErrors[k]) }
        return d
    }

    /// Requests that finished one way or another: responses plus transport errors.
    public var finished: UInt64 { completed + transportErrors.values.reduce(0, +) }
}
