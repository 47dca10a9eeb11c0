@testable import DemoBackend
import Testing

/// Issue 14: every user-supplied text field has a documented limit (README "Input limits"), answered 422 naming the
/// field; usernames use a safe character set.
@Suite("Conduit API: input limits")
struct InputLimitTests {
    private static func long(_ count: Int) -> String { String(repeating: "a", count: count) }

    @Test func registrationRejectsOverlongFieldsNamingEach() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let r = try api.request("POST", "/api/users", body: """
            {"user":{"username":"\(Self.long(InputLimits.username + 1))","email":"\(Self.long(InputLimits.email))@x.test",\
            "password":"\(Self.long(InputLimits.password + 1))"}}
            """)
        #expect(r.status == 422)
        #expect(r.json?["errors"]?["username"]?[0]?.stringValue == "is too long (maximum is \(InputLimits.username) characters)")
        #expect(r.json?["errors"]?["email"]?[0]?.stringValue == "is too long (maximum is \(InputLimits.email) characters)")
        #expect(r.json?["errors"]?["password"]?[0]?.stringValue == "is too long (maximum is \(InputLimits.password) characters)")
        // At the limit it registers.
        _ = try api.register(Self.long(InputLimits.username))
    }

    @Test(arguments: ["a/b", "a\\u0000b", "a b", "tab\\tname", "semi;colon"])
    func usernamesOutsideTheSafeSetAreRejected(username: String) throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let r = try api.request("POST", "/api/users", body: #"{"user":{"username":"\#(username)","email":"u@dyno.test","password":"pw"}}"#)
        #expect(r.status == 422)
        #expect(r.json?["errors"]?["username"]?[0]?.stringValue?.hasPrefix("may contain only") == true)
    }

    @Test func lettersOfAnyScriptDigitsAndSafePunctuationAreAccepted() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        _ = try api.register("zz-Ödön_2.x")
        let profile = try api.request("GET", "/api/profiles/zz-%C3%96d%C3%B6n_2.x")
        #expect(profile.status == 200)
    }

    @Test func userUpdateArticlesAndCommentsAreBounded() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let token = try api.register("zz-limits")
        let user = try api.request("PUT", "/api/user", body: """
            {"user":{"bio":"\(Self.long(InputLimits.bio + 1))","image":"\(Self.long(InputLimits.image + 1))","username":"a/b"}}
            """, token: token)
        #expect(user.status == 422)
        #expect(user.json?["errors"]?.keys == ["username", "bio", "image"])

        let article = try api.request("POST", "/api/articles", body: """
            {"article":{"title":"\(Self.long(InputLimits.title + 1))","description":"\(Self.long(InputLimits.description + 1))",\
            "body":"\(Self.long(InputLimits.articleBody + 1))","tagList":["\(Self.long(InputLimits.tag + 1))"]}}
            """, token: token)
        #expect(article.status == 422)
        #expect(article.json?["errors"]?.keys == ["title", "description", "body", "tagList"])

        let tooManyTags = (0...InputLimits.tagsPerArticle).map { "\"t\($0)\"" }.joined(separator: ",")
        let tags = try api.request("POST", "/api/articles", body: """
            {"article":{"title":"t","description":"d","body":"b","tagList":[\(tooManyTags)]}}
            """, token: token)
        #expect(tags.status == 422)
        #expect(tags.json?["errors"]?["tagList"]?[0]?.stringValue == "has too many tags (maximum is \(InputLimits.tagsPerArticle))")

        let slug = try api.createArticle(token: token, title: "bounded")
        let update = try api.request("PUT", "/api/articles/\(slug)", body: #"{"article":{"title":"\#(Self.long(InputLimits.title + 1))"}}"#,
                                     token: token)
        #expect(update.status == 422)
        #expect(update.json?["errors"]?["title"] != nil)
        let comment = try api.request("POST", "/api/articles/\(slug)/comments",
                                      body: #"{"comment":{"body":"\#(Self.long(InputLimits.commentBody + 1))"}}"#, token: token)
        #expect(comment.status == 422)
        #expect(comment.json?["errors"]?["body"]?[0]?.stringValue == "is too long (maximum is \(InputLimits.commentBody) characters)")
    }

    @Test func lengthsCountUnicodeScalarsSoCombiningMarksCannotHideBulk() {
        var check = InputCheck()
        let hidden = "a" + String(repeating: "\u{0301}", count: InputLimits.title)   // one grapheme, many scalars
        check.length("title", hidden, max: InputLimits.title)
        #expect(throws: APIError.self) { try check.finish() }
    }

    @Test func dotSegmentUsernamesAreRejected() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let r = try api.request("POST", "/api/users", body: #"{"user":{"username":"..","email":"dots@dyno.test","password":"pw"}}"#)
        #expect(r.status == 422)
        #expect(r.json?["errors"]?["username"]?[0]?.stringValue == "cannot be '.' or '..'")
    }

    @Test func aLoginTokenForTheLongestUsernameFitsTheHeaderLimit() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        // The widest scalars UTF-8 has (4 bytes each): the longest token a username can produce.
        let widest = String(repeating: "\u{20000}", count: InputLimits.username)
        let token = try api.register(widest, email: "wide@dyno.test")
        #expect(token.utf8.count < 1_000)
        #expect(try api.request("GET", "/api/user", token: token).status == 200)
    }

    /// The seeded data must be data a user could have sent: every username in the safe set, every field within
    /// its limit (lengths in SQLite's `length()`, which counts characters = Unicode scalars for text).
    @Test func seededDataIsWithinTheLimits() throws {
        let directory = try StorageTempDirectory()
        defer { directory.remove() }
        let path = directory.file("seed.sqlite")
        try seedStorageTestDatabase(at: path, scale: 0.05)
        let connection = try SQLiteConnection(path: path, readOnly: true)
        defer { connection.close() }
        var badUsernames: [String] = []
        try connection.prepare("SELECT username FROM users").forEachRow { row in
            var check = InputCheck()
            check.username(row.text(0))
            if (try? check.finish()) == nil { badUsernames.append(row.text(0)) }
        }
        #expect(badUsernames.isEmpty)
        let limits: [(sql: String, limit: Int)] = [
            ("SELECT max(length(username)) FROM users", InputLimits.username),
            ("SELECT max(length(email)) FROM users", InputLimits.email),
            ("SELECT coalesce(max(length(bio)), 0) FROM users", InputLimits.bio),
            ("SELECT coalesce(max(length(image)), 0) FROM users", InputLimits.image),
            ("SELECT max(length(title)) FROM articles", InputLimits.title),
            ("SELECT max(length(description)) FROM articles", InputLimits.description),
            ("SELECT max(length(body)) FROM articles", InputLimits.articleBody),
            ("SELECT max(length(body)) FROM comments", InputLimits.commentBody),
            ("SELECT max(length(name)) FROM tags", InputLimits.tag),
            ("SELECT max(n) FROM (SELECT count(*) AS n FROM article_tags GROUP BY article_id)", InputLimits.tagsPerArticle),
        ]
        for (sql, limit) in limits {
            var longest: Int64 = -1
            try connection.prepare(sql).forEachRow { longest = $0.int(0) }
            #expect(longest > 0 && longest <= Int64(limit), "\(sql): \(longest) > \(limit)")
        }
    }
}
