@testable import DemoBackend
import Testing

extension JSONValue {
    /// Equal as JSON values: object members compared by name whatever their order (the two encoders order keys
    /// differently), arrays in order.
    func sameValue(as other: JSONValue) -> Bool {
        switch (self, other) {
        case let (.object(a), .object(b)):
            let x = Dictionary(a, uniquingKeysWith: { _, last in last })
            let y = Dictionary(b, uniquingKeysWith: { _, last in last })
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { value.sameValue(as: $0) } ?? false }
        case let (.array(a), .array(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameValue(as: $1) }
        default:
            return self == other
        }
    }
}

@Suite struct PayloadEncodingTests {
    static let author = Profile(id: 7, username: "jane/doe \"quoted\"", bio: nil, image: "https://img.test/a.png",
                                following: true)
    static let article = Article(id: 1, slug: "a-slug", title: "Tabs\tand\nnewlines \u{1}, emoji 🚀, U+2028 \u{2028}",
                                 description: "back\\slash", body: "the body </script>", tagList: ["x", "ÿ"],
                                 createdAt: 1_700_000_000_123, updatedAt: -1_000, favorited: false,
                                 favoritesCount: 42, author: author)
    static let comment = Comment(id: 9, createdAt: 1_600_000_000_999, updatedAt: 1_600_000_000_999, body: "nice",
                                 author: Profile(id: 8, username: "bob", bio: "b", image: nil, following: false))

    static var bodies: [ConduitBody] {
        var listItem = article
        listItem.body = nil
        return [
            .user(UserRecord(id: 1, username: "jane", email: "j@x.test", passwordHash: "h", bio: nil, image: nil),
                  token: "abc.def.ghi"),
            .profile(author),
            .article(article),
            .articles(ArticlePage(articles: [listItem, listItem], articlesCount: 100_000)),
            .articles(ArticlePage(articles: [], articlesCount: 0)),
            .comment(comment),
            .comments([comment, comment]),
            .comments([]),
            .tags(["a", "b/c", "é"]),
            .tags([]),
        ]
    }

    @Test(arguments: Array(0..<10)) func bothEncodingsGiveEqualParsedValues(index: Int) throws {
        let body = Self.bodies[index]
        let direct = try JSONParser.parse(PayloadEncoding.direct.encode(body))
        let foundation = try JSONParser.parse(PayloadEncoding.foundation.encode(body))
        #expect(direct.sameValue(as: foundation), "\(body)")
    }

    @Test func foundationKeepsNullsAndDropsListBodies() throws {
        let user = try JSONParser.parse(PayloadEncoding.foundation.encode(Self.bodies[0]))
        #expect(user["user"]?["bio"] == .null)
        let list = try JSONParser.parse(PayloadEncoding.foundation.encode(Self.bodies[3]))
        #expect(list["articles"]?[0]?["body"] == nil)
        #expect(list["articles"]?[0]?["createdAt"]?.stringValue == "2023-11-14T22:13:20.123Z")
    }

    @Test func bothDecodersReadTheSameRequestBodies() throws {
        let bodies = [
            #"{"user":{"email":"a@b.c","password":"p","bio":null,"n":12.5,"ok":true}}"#,
            #"{"article":{"title":"t\u00e9\n","tagList":["a","b"],"nested":{"x":[1,[2,{}]]}}}"#,
            #"  {"comment":{"body":"\ud83d\ude80 rocket"}}  "#,
        ]
        for text in bodies {
            let direct = try PayloadEncoding.direct.parse(Array(text.utf8))
            let foundation = try PayloadEncoding.foundation.parse(Array(text.utf8))
            #expect(direct.sameValue(as: foundation), "\(text)")
        }
        for bad in [#"{"user":"#, "nope", #"{"a":1}x"#] {
            #expect(throws: JSONParseError.self) { try PayloadEncoding.foundation.parse(Array(bad.utf8)) }
            #expect(throws: JSONParseError.self) { try PayloadEncoding.direct.parse(Array(bad.utf8)) }
        }
    }
}
