@testable import DemoBackend
import Dispatch
import Synchronization
import Testing
import TestSupport

@Suite("Backend under concurrent clients")
struct BackendConcurrencyTests {
    /// One request on `client` (its own connection), returning the status and parsed JSON.
    static func request(_ client: RawSocketClient, _ method: String, _ target: String, token: String) throws -> (Int, JSONValue?) {
        try client.send("\(method) \(target) HTTP/1.1\r\nHost: x\r\nAuthorization: Token \(token)\r\nContent-Length: 0\r\n\r\n")
        let r = try client.readResponse()
        return (r.status, try? JSONParser.parse(r.body))
    }

    @Test(arguments: ["blocking", "offloaded"])
    func concurrentFavoritesAndReadsStayConsistent(serving: String) throws {
        let api = try APITestBackend()
        defer { api.stop() }
        try api.knobs.set(["serving": serving, "pool_size": "2"], source: "test")
        let author = try api.register("zz-conc-author")
        let slug = try api.createArticle(token: author, title: "Popular")
        let users = 8
        let tokens = try (0..<users).map { try api.register("zz-conc-\($0)") }
        let port = api.port
        let failures = Mutex<[String]>([])
        // Every user favorites, reads, unfavorites and favorites again, all at once on their own connections.
        DispatchQueue.concurrentPerform(iterations: users) { i in
            do {
                let client = try RawSocketClient(port: port)
                defer { client.close() }
                for step in ["POST", "GET", "DELETE", "POST"] {
                    let target = step == "GET" ? "/api/articles?limit=5" : "/api/articles/\(slug)/favorite"
                    let (status, _) = try Self.request(client, step, target, token: tokens[i])
                    if status != 200 { failures.withLock { $0.append("user \(i) \(step) \(target): \(status)") } }
                }
            } catch {
                failures.withLock { $0.append("user \(i): \(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let final = try api.request("GET", "/api/articles/\(slug)")
        #expect(final.json?["article"]?["favoritesCount"]?.intValue == users)
        #expect(try api.request("GET", "/api/articles?favorited=zz-conc-3").json?["articlesCount"]?.intValue == 1)
    }
}
