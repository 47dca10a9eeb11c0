import Testing
import TestSupport
@testable import HTTP

@Suite struct ClientTests {
    @Test func oneShotRoundTripReturnsStatusHeadersAndBody() throws {
        let server = try ScriptedTestServer { _ in .respond(status: 201, body: "{\"ok\":true}") }
        defer { server.stop() }
        let request = HTTPRequest(method: "POST", target: "/api/users", headers: ["Content-Type": "application/json"],
                                  body: Array("{}".utf8))
        let response = try HTTPClient.send(request, to: "127.0.0.1", port: server.port, timeout: .seconds(5))
        #expect(response.status == 201)
        #expect(response.headers["Content-Length"] == "11")
        #expect(String(decoding: response.body, as: UTF8.self) == "{\"ok\":true}")
        #expect(server.requests == 1)
    }

    @Test func closedPortIsClassifiedRefused() {
        let port = FreePort.pick()
        #expect {
            _ = try HTTPClient.send(HTTPRequest(method: "GET", target: "/"), to: "127.0.0.1", port: port,
                                    timeout: .seconds(2))
        } throws: { ($0 as? HTTPClientError)?.kind == .refused }
    }

    @Test func serverThatNeverAnswersIsClassifiedTimeout() throws {
        let server = try ScriptedTestServer { _ in .silent }
        defer { server.stop() }
        #expect {
            _ = try HTTPClient.send(HTTPRequest(method: "GET", target: "/"), to: "127.0.0.1", port: server.port,
                                    timeout: .milliseconds(200))
        } throws: { ($0 as? HTTPClientError)?.kind == .timeout }
    }

    @Test func resetConnectionIsClassifiedReset() throws {
        let server = try ScriptedTestServer { _ in .reset }
        defer { server.stop() }
        #expect {
            _ = try HTTPClient.send(HTTPRequest(method: "GET", target: "/"), to: "127.0.0.1", port: server.port,
                                    timeout: .seconds(5))
        } throws: { ($0 as? HTTPClientError)?.kind == .reset }
    }

    @Test func unknownHostIsAClearError() {
        #expect {
            _ = try HTTPClient.send(HTTPRequest(method: "GET", target: "/"), to: "no-such-host.invalid", port: 80,
                                    timeout: .seconds(2))
        } throws: { error in
            guard let error = error as? HTTPClientError else { return false }
            return error.kind == .other && error.message.contains("no-such-host.invalid")
        }
    }

    @Test func serializationAddsHostAndContentLength() {
        let request = HTTPRequest(method: "PUT", target: "/a?b=c", headers: ["X-Test": "1"], body: Array("xyz".utf8))
        let text = String(decoding: HTTPClient.serialize(request, host: "example.com", port: 8080), as: UTF8.self)
        #expect(text == "PUT /a?b=c HTTP/1.1\r\nHost: example.com:8080\r\nX-Test: 1\r\nContent-Length: 3\r\n\r\nxyz")
    }
}
