@testable import DemoBackend
import Testing

@Suite("Conduit API: users and profiles")
struct ConduitUserTests {
    @Test func registerLoginAndCurrentUser() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let reg = try api.request("POST", "/api/users", body: #"{"user":{"username":"zz-alice","email":"alice@dyno.test","password":"pw-alice"}}"#)
        #expect(reg.status == 201)
        let user = try #require(reg.json?["user"])
        #expect(user.keys == ["email", "token", "username", "bio", "image"])
        #expect(user["email"]?.stringValue == "alice@dyno.test")
        #expect(user["username"]?.stringValue == "zz-alice")
        #expect(user["bio"] == .null)

        let login = try api.request("POST", "/api/users/login", body: #"{"user":{"email":"alice@dyno.test","password":"pw-alice"}}"#)
        #expect(login.status == 200)
        let token = try #require(login.json?["user"]?["token"]?.stringValue)

        let me = try api.request("GET", "/api/user", token: token)
        #expect(me.status == 200)
        #expect(me.json?["user"]?["username"]?.stringValue == "zz-alice")
        #expect(me.json?["user"]?["token"]?.stringValue == token)
    }
}
