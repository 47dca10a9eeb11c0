import Metrics

/// The backend's per-route `/metrics` lines (requests, durations, SQL statements and time, stage times), written
/// through the one `PrometheusWriter`. Knob units add their own lines after these.
enum PrometheusExposition {
    static func writeRoutes(_ metrics: BackendMetrics, to out: inout PrometheusWriter) {
        let active = metrics.routes.filter { $0.requests > 0 || $0.dbQueries.value > 0 }

        out.declare("dyno_http_requests_total", .counter, help: "HTTP requests answered, by route template and status.")
        for r in active {
            for (status, n) in r.statusTotals {
                out.sample("dyno_http_requests_total", ["route": r.template, "status": String(status)], Double(n))
            }
        }
        out.declare("dyno_http_request_duration_seconds", .histogram,
                    help: "Time from request received to response handed to the server.")
        for r in active where r.requests > 0 {
            out.histogram("dyno_http_request_duration_seconds", help: "", label: ("route", r.template), r.duration)
        }
        out.declare("dyno_db_queries_total", .counter, help: "SQL statements executed (BEGIN/COMMIT included), by route template.")
        for r in active {
            out.sample("dyno_db_queries_total", ["route": r.template], Double(r.dbQueries.value))
        }
        out.declare("dyno_db_query_duration_seconds", .histogram, help: "Execution time of each SQL statement, by route template.")
        for r in active where r.dbQueries.value > 0 {
            out.histogram("dyno_db_query_duration_seconds", help: "", label: ("route", r.template), r.dbDuration)
        }
        out.declare("dyno_stage_seconds_total", .counter, help: "Time spent per request stage inside the backend, by route template.")
        for r in active where r.requests > 0 {
            for stage in Stage.allCases {
                out.sample("dyno_stage_seconds_total", ["route": r.template, "stage": stage.name],
                           Double(r.stageNanoseconds(stage)) / 1e9)
            }
        }
    }
}
