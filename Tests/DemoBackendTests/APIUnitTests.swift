@testable import DemoBackend
import Testing

@Suite("API building blocks")
struct APIUnitTests {
    static func text(_ build: (inout JSONWriter) -> Void) -> String {
        var w = JSONWriter()
        build(&w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    @Test func jsonWriterEscapesAndKeepsKeyOrder() {
        let s = Self.text { w in
            w.beginObject()
            w.key("z"); w.string("quote \" backslash \\ slash / tab \t nl \n cr \r bell \u{07} nul \u{00}")
            w.key("a"); w.string("héllo 😀 \u{2028}")
            w.key("n"); w.int(-1234567890123)
            w.key("zero"); w.int(0)
            w.key("b"); w.bool(true)
            w.key("nil"); w.string(nil as String?)
            w.key("list"); w.beginArray(); w.int(1); w.beginObject(); w.endObject(); w.beginArray(); w.endArray(); w.endArray()
            w.endObject()
        }
        #expect(s == #"{"z":"quote \" backslash \\ slash / tab \t nl \n cr \r bell \u0007 nul \u0000","a":"héllo 😀 \u2028","n":-1234567890123,"zero":0,"b":true,"nil":null,"list":[1,{},[]]}"#)
        // Round trip through the parser.
        #expect((try? JSONParser.parse(s))?["a"]?.stringValue == "héllo 😀 \u{2028}")
    }

    @Test func jsonWriterTimestampsAreISO8601WithMilliseconds() {
        #expect(Self.text { $0.timestamp(unixMilliseconds: 0) } == #""1970-01-01T00:00:00.000Z""#)
        #expect(Self.text { $0.timestamp(unixMilliseconds: 1_704_164_645_678) } == #""2024-01-02T03:04:05.678Z""#)
        #expect(Self.text { $0.timestamp(unixMilliseconds: 951_782_400_001) } == #""2000-02-29T00:00:00.001Z""#)
        #expect(Self.text { $0.timestamp(unixMilliseconds: -1) } == #""1969-12-31T23:59:59.999Z""#)
    }

    @Test func jsonParserAcceptsValidAndRejectsInvalid() throws {
        let v = try JSONParser.parse(#" {"a": [1, -2.5e3, true, false, null, "x\u00e9\ud83d\ude00\n"], "b": {}} "#)
        #expect(v["a"] == .array([.number(1), .number(-2500), .bool(true), .bool(false), .null, .string("xé😀\n")]))
        #expect(v["b"] == .object([]))
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", "\"unterminated", "{\"a\" 1}", "tru", "[1] 2",
                    "\"\\ud800\"", "\"\u{01}\"", "nan", String(repeating: "[", count: 100) + String(repeating: "]", count: 100)] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONParser.parse(bad) }
        }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }   // invalid UTF-8
    }

    @Test func base64RoundTripsBothAlphabets() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            #expect(Base64.decode(Base64.encode(bytes).utf8) == bytes)
            #expect(Base64.decode(Base64.encode(bytes, urlSafe: true).utf8) == bytes)
        }
        #expect(Base64.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8=")
        #expect(Base64.encode(Array("fo".utf8), urlSafe: true) == "Zm8")
        #expect(Base64.decode("Zm9v!".utf8) == nil)
        #expect(Base64.decode("Z".utf8) == nil)
    }

    @Test func passwordHashVerifiesOnlyTheRightPassword() {
        let stored = PasswordHasher.hash("correct horse")
        let parts = stored.split(separator: "$")
        #expect(parts.count == 4 && parts[0] == "pbkdf2" && parts[1] == "\(PasswordHasher.iterations)")
        #expect(PasswordHasher.verify("correct horse", against: stored))
        #expect(!PasswordHasher.verify("correct horse ", against: stored))
        #expect(!PasswordHasher.verify("", against: stored))
        #expect(PasswordHasher.hash("correct horse") != stored)   // random salt
        #expect(PasswordHasher.verify("", against: PasswordHasher.hash("")))
        for malformed in ["", "pbkdf2$", "pbkdf2$x$AAAA$AAAA", "bcrypt$10$AAAA$AAAA", "pbkdf2$0$AAAA$AAAA", "pbkdf2$10$!!$AAAA"] {
            #expect(!PasswordHasher.verify("x", against: malformed))
        }
    }

    @Test func tokensVerifyAndRejectTamperingExpiryAndOtherSecrets() throws {
        let clock = 1_700_000_000 as Int64
        let signer = TokenSigner(secret: Array(repeating: 7, count: 32), now: { clock })
        let token = signer.sign(userID: 42, username: "ann")
        #expect(token.split(separator: ".").count == 3)
        #expect(try signer.verify(token) == TokenClaims(userID: 42, expiresAt: clock + TokenSigner.lifetimeSeconds))

        let other = TokenSigner(secret: Array(repeating: 8, count: 32), now: { clock })
        #expect(throws: TokenError.badSignature) { try other.verify(token) }
        let later = TokenSigner(secret: Array(repeating: 7, count: 32), now: { clock + TokenSigner.lifetimeSeconds + 1 })
        #expect(throws: TokenError.expired) { try later.verify(token) }
        // Swap in another payload, keep the signature.
        let parts = token.split(separator: ".")
        let forgedPayload = Base64.encode(Array(#"{"sub":"1","exp":9999999999}"#.utf8), urlSafe: true)
        #expect(throws: TokenError.badSignature) { try signer.verify("\(parts[0]).\(forgedPayload).\(parts[2])") }
        for junk in ["", "a.b", "a.b.c.d", "...", "x.y.!!"] {
            #expect(throws: TokenError.self) { try signer.verify(junk) }
        }
    }

    @Test func routerMatchesTemplates() {
        func route(_ m: String, _ p: String) -> RouteMatch { Router.match(method: m, path: p) }
        #expect(route("POST", "/api/users/login").route == .login)
        #expect(route("POST", "/api/users").route == .register)
        #expect(route("GET", "/api/user").route == .currentUser)
        #expect(route("PUT", "/api/user").route == .updateUser)
        #expect(route("GET", "/api/profiles/jake") == RouteMatch(route: .profile, parameter: "jake"))
        #expect(route("DELETE", "/api/profiles/jake/follow").route == .unfollow)
        #expect(route("GET", "/api/articles/feed").route == .feed)
        #expect(route("GET", "/api/articles").route == .listArticles)
        #expect(route("GET", "/api/articles/how-to-1") == RouteMatch(route: .getArticle, parameter: "how-to-1"))
        #expect(route("DELETE", "/api/articles/s/comments/12") == RouteMatch(route: .deleteComment, parameter: "s", secondParameter: "12"))
        #expect(route("POST", "/api/articles/s/favorite").route == .favorite)
        #expect(route("GET", "/api/tags").route == .tags)
        #expect(route("GET", "/metrics").route == .metrics)
        #expect(route("PUT", "/debug/knobs").route == .putKnobs)
        #expect(route("GET", "/api/articles/s/comments/12/x").route == .unmatched)
        #expect(route("DELETE", "/api/tags").allowedMethods == ["GET"])
        #expect(Route.getArticle.template == "GET /api/articles/:slug")
        #expect(Set(Route.allCases.map(\.template)).count == Route.allCases.count)
    }

    @Test func slugsAreURLSafeAndUnique() {
        #expect(Slug.make(title: "How to train your dragon", id: 7) == "how-to-train-your-dragon-7")
        #expect(Slug.make(title: "  C++ & Swift: 100%!  ", id: 1) == "c-swift-100-1")
        #expect(Slug.make(title: "日本語", id: 3) == "article-3")
    }
}
