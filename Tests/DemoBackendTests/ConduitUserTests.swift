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

@Suite("Conduit API: user errors and profiles")
struct ConduitUserErrorTests {
    @Test func registrationValidatesAndRejectsDuplicates() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let blank = try api.request("POST", "/api/users", body: #"{"user":{"username":"","email":"  ","password":"x"}}"#)
        #expect(blank.status == 422)
        #expect(blank.json?["errors"]?["username"]?[0]?.stringValue == "can't be blank")
        #expect(blank.json?["errors"]?["email"]?[0]?.stringValue == "can't be blank")
        #expect(blank.json?["errors"]?["password"] == nil)

        let missingPassword = try api.request("POST", "/api/users", body: #"{"user":{"username":"zz-a","email":"a@dyno.test"}}"#)
        #expect(missingPassword.status == 422)
        #expect(missingPassword.json?["errors"]?["password"]?[0]?.stringValue == "can't be blank")

        _ = try api.register("zz-dup", email: "dup@dyno.test")
        let sameName = try api.request("POST", "/api/users", body: #"{"user":{"username":"zz-dup","email":"other@dyno.test","password":"x"}}"#)
        #expect(sameName.status == 422)
        #expect(sameName.json?["errors"]?["username"]?[0]?.stringValue == "has already been taken")
        let sameEmail = try api.request("POST", "/api/users", body: #"{"user":{"username":"zz-other","email":"dup@dyno.test","password":"x"}}"#)
        #expect(sameEmail.json?["errors"]?["email"]?[0]?.stringValue == "has already been taken")
    }

    @Test func badJSONIsA422NamingTheProblem() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let broken = try api.request("POST", "/api/users", body: #"{"user": {"username": "x",}"#)
        #expect(broken.status == 422)
        let message = try #require(broken.json?["errors"]?["body"]?[0]?.stringValue)
        #expect(message.hasPrefix("invalid JSON"))
        let wrongRoot = try api.request("POST", "/api/users", body: #"{"person":{}}"#)
        #expect(wrongRoot.status == 422)
        #expect(wrongRoot.json?["errors"]?["user"]?[0]?.stringValue == "can't be blank")
        let empty = try api.request("POST", "/api/users/login", body: "")
        #expect(empty.status == 422)
        let wrongType = try api.request("POST", "/api/users", body: #"{"user":{"username":5,"email":"e@dyno.test","password":"p"}}"#)
        #expect(wrongType.status == 422)
        #expect(wrongType.json?["errors"]?["username"]?[0]?.stringValue == "must be a string")
    }

    @Test func loginRejectsWrongPasswordAndUnknownEmail() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        _ = try api.register("zz-bob", email: "bob@dyno.test", password: "right")
        let wrong = try api.request("POST", "/api/users/login", body: #"{"user":{"email":"bob@dyno.test","password":"wrong"}}"#)
        #expect(wrong.status == 401)
        #expect(wrong.json?["errors"]?["credentials"]?[0]?.stringValue == "invalid")
        let unknown = try api.request("POST", "/api/users/login", body: #"{"user":{"email":"nobody@dyno.test","password":"x"}}"#)
        #expect(unknown.status == 401)
        let blank = try api.request("POST", "/api/users/login", body: #"{"user":{"email":"","password":""}}"#)
        #expect(blank.status == 422)
        #expect(blank.json?["errors"]?.keys == ["email", "password"])
        // Seeded users share the known password.
        let seeded = try api.request("POST", "/api/users/login", body: #"{"user":{"email":"user1@example.com","password":"password"}}"#)
        #expect(seeded.status == 200)
    }

    @Test func authErrorsAre401() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let missing = try api.request("GET", "/api/user")
        #expect(missing.status == 401)
        #expect(missing.json?["errors"]?["token"]?[0]?.stringValue == "is missing")
        let garbage = try api.request("GET", "/api/user", token: "not-a-jwt")
        #expect(garbage.status == 401)
        #expect(garbage.json?["errors"]?["token"]?[0]?.stringValue == "is invalid")
        let token = try api.register("zz-carol")
        var tampered = Array(token.utf8)
        tampered[tampered.count - 2] = tampered[tampered.count - 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let forged = try api.request("GET", "/api/user", token: String(decoding: tampered, as: UTF8.self))
        #expect(forged.status == 401)
        let wrongScheme = try api.request("GET", "/api/user", headers: [("Authorization", "Basic abc")])
        #expect(wrongScheme.status == 401)
        // Either scheme; extra spaces after it are skipped.
        for header in ["Token \(token)", "Bearer \(token)", "Token   \(token)"] {
            #expect(try api.request("GET", "/api/user", headers: [("Authorization", header)]).status == 200, "\(header)")
        }
        for (method, path) in [("PUT", "/api/user"), ("POST", "/api/articles"), ("GET", "/api/articles/feed"),
                               ("POST", "/api/profiles/x/follow"), ("DELETE", "/api/articles/x"),
                               ("POST", "/api/articles/x/favorite"), ("POST", "/api/articles/x/comments"),
                               ("DELETE", "/api/articles/x/comments/1")] {
            let r = try api.request(method, path, body: "{}")
            #expect(r.status == 401, "\(method) \(path)")
        }
        // Bad token on an optional-auth route is still refused.
        #expect(try api.request("GET", "/api/articles", token: "bad").status == 401)
    }

    @Test func updateUserChangesFieldsAndKeepsToken() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let token = try api.register("zz-dave", password: "old-password")
        let r = try api.request("PUT", "/api/user", body: #"{"user":{"bio":"I like \"quotes\"\nand lines","image":"https://img.test/d.png","password":"new-password"}}"#, token: token)
        #expect(r.status == 200)
        #expect(r.json?["user"]?["bio"]?.stringValue == "I like \"quotes\"\nand lines")
        #expect(r.json?["user"]?["image"]?.stringValue == "https://img.test/d.png")
        #expect(r.json?["user"]?["token"]?.stringValue == token)
        let login = try api.request("POST", "/api/users/login", body: #"{"user":{"email":"zz-dave@dyno.test","password":"new-password"}}"#)
        #expect(login.status == 200)
        let clear = try api.request("PUT", "/api/user", body: #"{"user":{"bio":null}}"#, token: token)
        #expect(clear.json?["user"]?["bio"] == .null)
        let blank = try api.request("PUT", "/api/user", body: #"{"user":{"email":""}}"#, token: token)
        #expect(blank.status == 422)
        _ = try api.register("zz-erin")
        let taken = try api.request("PUT", "/api/user", body: #"{"user":{"username":"zz-erin"}}"#, token: token)
        #expect(taken.status == 422)
        #expect(taken.json?["errors"]?["username"]?[0]?.stringValue == "has already been taken")
    }

    @Test func profilesFollowAndUnfollow() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let fan = try api.register("zz-fan")
        _ = try api.register("zz-star")
        let anonymous = try api.request("GET", "/api/profiles/zz-star")
        #expect(anonymous.status == 200)
        #expect(anonymous.json?["profile"]?.keys == ["username", "bio", "image", "following"])
        #expect(anonymous.json?["profile"]?["following"]?.boolValue == false)
        let follow = try api.request("POST", "/api/profiles/zz-star/follow", token: fan)
        #expect(follow.status == 200)
        #expect(follow.json?["profile"]?["following"]?.boolValue == true)
        #expect(try api.request("GET", "/api/profiles/zz-star", token: fan).json?["profile"]?["following"]?.boolValue == true)
        let unfollow = try api.request("DELETE", "/api/profiles/zz-star/follow", token: fan)
        #expect(unfollow.json?["profile"]?["following"]?.boolValue == false)
        let missing = try api.request("GET", "/api/profiles/zz-nobody")
        #expect(missing.status == 404)
        #expect(missing.json?["errors"]?["profile"]?[0]?.stringValue == "not found")
        #expect(try api.request("POST", "/api/profiles/zz-nobody/follow", token: fan).status == 404)
    }

    @Test func restartKeepsDataAndTokens() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let token = try api.register("zz-persistent")
        let slug = try api.createArticle(token: token, title: "Survives a restart")
        try api.restart()
        let me = try api.request("GET", "/api/user", token: token)
        #expect(me.status == 200)
        #expect(me.json?["user"]?["username"]?.stringValue == "zz-persistent")
        #expect(try api.request("GET", "/api/articles/\(slug)").status == 200)
        #expect(api.backend.database.seededNow == false)
    }
}
