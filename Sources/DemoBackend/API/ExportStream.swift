import HTTP
import Synchronization

/// The bounded export: `{"articles":[…],"articlesCount":N}` produced one keyset batch at a time while the server
/// sends it, so memory holds one batch whatever the export's size. Each batch is read and encoded on `run` (the
/// worker pool), never on a serving thread; the server asks for the next batch only once the previous one is
/// written out (`HTTPBodyStream`'s back-pressure).
final class ExportStream: HTTPBodyStream {
    /// Articles per batch: ≈ 100 × 2 KB of JSON per chunk, one short indexed read each.
    static let batchSize = 100

    private struct Cursor {
        var afterID: Int64 = 0
        var exported: Int64 = 0
        var opened = false
        var finished = false
        var cancelled = false
        var bytes = 0
    }

    private let cursor = Mutex(Cursor())
    private let fetch: @Sendable (_ afterID: Int64, _ limit: Int) throws -> [Article]
    private let encodeArticle: @Sendable (Article) -> [UInt8]
    private let run: @Sendable (@escaping @Sendable () -> Void) -> Bool
    private let statistics: PayloadStatistics
    private let failed: @Sendable (any Error) -> Void
    private let finished: @Sendable (Int) -> Void

    /// - Parameters:
    ///   - fetch: one batch of at most `limit` articles with ids above `afterID`, in id order.
    ///   - run: runs the closure elsewhere; false when it cannot (worker queue full: the export is aborted).
    ///   - failed: told about a read that failed mid-stream (logged; the client sees a truncated body).
    ///   - finished: told the body's size once the last batch is produced (the route's bytes per response).
    init(fetch: @escaping @Sendable (Int64, Int) throws -> [Article], encodeArticle: @escaping @Sendable (Article) -> [UInt8],
         statistics: PayloadStatistics, run: @escaping @Sendable (@escaping @Sendable () -> Void) -> Bool,
         failed: @escaping @Sendable (any Error) -> Void, finished: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.fetch = fetch
        self.encodeArticle = encodeArticle
        self.statistics = statistics
        self.run = run
        self.failed = failed
        self.finished = finished
    }

    func next(_ deliver: @escaping @Sendable (HTTPBodyPiece) -> Void) {
        let queued = run { [self] in deliver(self.produce()) }
        if !queued { deliver(.abort) }
    }

    func cancel() { cursor.withLock { $0.cancelled = true } }

    /// One chunk: the opening (with the first batch), a batch, or the closing with the count.
    private func produce() -> HTTPBodyPiece {
        let state = cursor.withLock { $0 }
        if state.cancelled { return .abort }
        if state.finished { return .end }
        let batch: [Article]
        do {
            batch = try fetch(state.afterID, Self.batchSize)
        } catch {
            failed(error)
            return .abort
        }
        var chunk: [UInt8] = state.opened ? [] : Array(#"{"articles":["#.utf8)
        for (i, article) in batch.enumerated() {
            if state.opened || i > 0 { chunk.append(UInt8(ascii: ",")) }
            chunk.append(contentsOf: encodeArticle(article))
        }
        let exported = state.exported + Int64(batch.count)
        let last = batch.count < Self.batchSize
        if last {
            chunk.append(contentsOf: #"],"articlesCount":"#.utf8)
            chunk.append(contentsOf: String(exported).utf8)
            chunk.append(UInt8(ascii: "}"))
        }
        statistics.recordMaterialized(rows: batch.count, bytes: chunk.count)
        let total = cursor.withLock { c in
            c.opened = true
            c.exported = exported
            c.bytes += chunk.count
            if let lastID = batch.last?.id { c.afterID = lastID }
            c.finished = last
            return c.bytes
        }
        if last { finished(total) }
        return .bytes(chunk)
    }
}
