/// The heavy endpoint's machinery: computes author reports (`AuthorReport`) from the database, inline or as jobs of
/// the durable `JobQueue` (the `jobs` knob). Job payload: the viewer's user id; result: the report's JSON.
final class ReportJobs: Sendable {
    static let kind = "author-report"

    let queue: JobQueue
    private let provider: ConnectionProvider

    /// Opens (or creates) `jobsPath`, re-queues reports a previous process left running, starts the workers.
    /// - Parameter log: where the queue's own failures go (the backend's error sink).
    init(jobsPath: String, provider: ConnectionProvider, configuration: JobQueue.Configuration = .init(),
         log: @escaping @Sendable (String) -> Void) throws {
        self.provider = provider
        queue = try JobQueue(path: jobsPath, configuration: configuration, log: log) { job in
            guard let viewer = Int64(job.payload) else { throw ReportError.badPayload(job.payload) }
            return String(decoding: try Self.compute(viewerID: viewer, provider: provider), as: UTF8.self)
        }
        try queue.start()
    }

    /// Reads the viewer's followed authors' articles and computes the report (JSON bytes).
    static func compute(viewerID: Int64, provider: ConnectionProvider) throws -> [UInt8] {
        let articles = try provider.withConnection { try AuthorReport.load(viewerID: viewerID, connection: $0) }
        return AuthorReport.compute(viewerID: viewerID, articles: articles)
    }

    func compute(viewerID: Int64) throws -> [UInt8] {
        try Self.compute(viewerID: viewerID, provider: provider)
    }

    func stop() { queue.stop() }

    enum ReportError: Error, CustomStringConvertible {
        case badPayload(String)
        case vanished(Int64)
        var description: String {
            switch self {
            case .badPayload(let payload): "report job payload is not a user id: \(payload)"
            case .vanished(let id): "report \(id) was stored but cannot be read back"
            }
        }
    }
}
