import Foundation
import Metrics

extension Report.Generator {
    /// The section as written for `health`: server saturation only when every connection was waiting.
    init(_ health: GeneratorHealth) {
        self.init(behindSchedule: health.behindSchedule, lagSeconds: health.lagSeconds, limitedBy: health.limitedBy)
        if case .serverSaturated(let waiting, let connections, let queued, _) = health.bottleneck {
            serverSaturated = Report.ServerSaturation(connectionsWaiting: waiting, connections: connections, queued: queued)
        }
    }

    /// Who set the pace, read back from the section (reports written before `serverSaturated` existed said
    /// `limitedBy: "connections"`, which is read as "behind schedule", blaming no one).
    public var bottleneck: LoadBottleneck {
        if let limit = limitedBy, GeneratorHealth.ownLimits.contains(limit) {
            return .generator(limitedBy: limit, lagSeconds: lagSeconds)
        }
        if let s = serverSaturated {
            return .serverSaturated(waiting: s.connectionsWaiting, connections: s.connections, queued: s.queued,
                                    lagSeconds: lagSeconds)
        }
        return behindSchedule ? .behindSchedule(lagSeconds: lagSeconds) : .none
    }
}

extension LoadBottleneck {
    /// The reports' warning (summary table, summary.md, report.html), nil when on schedule.
    var reportWarning: String? {
        guard let message = message(duration: { String(format: "%.2f s", $0) }) else { return nil }
        if case .generator = self { return message + "; figures describe the generator as much as the target" }
        return message
    }
}
