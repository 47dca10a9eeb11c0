/// JSON bodies of the Conduit responses, written with `JSONWriter` in the spec's field order.
enum ConduitEncoding {
    static func user(_ u: UserRecord, token: String) -> [UInt8] {
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.key("user")
        json.beginObject()
        json.key("email"); json.string(u.email)
        json.key("token"); json.string(token)
        json.key("username"); json.string(u.username)
        json.key("bio"); json.string(u.bio)
        json.key("image"); json.string(u.image)
        json.endObject()
        json.endObject()
        return json.bytes
    }

    static func profile(_ p: Profile) -> [UInt8] {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.key("profile")
        writeProfile(&json, p)
        json.endObject()
        return json.bytes
    }

    static func writeProfile(_ json: inout JSONWriter, _ p: Profile) {
        json.beginObject()
        json.key("username"); json.string(p.username)
        json.key("bio"); json.string(p.bio)
        json.key("image"); json.string(p.image)
        json.key("following"); json.bool(p.following)
        json.endObject()
    }

    static func writeArticle(_ json: inout JSONWriter, _ a: Article) {
        json.beginObject()
        json.key("slug"); json.string(a.slug)
        json.key("title"); json.string(a.title)
        json.key("description"); json.string(a.description)
        if let body = a.body { json.key("body"); json.string(body) }
        json.key("tagList")
        json.beginArray()
        for tag in a.tagList { json.string(tag) }
        json.endArray()
        json.key("createdAt"); json.timestamp(unixMilliseconds: a.createdAt)
        json.key("updatedAt"); json.timestamp(unixMilliseconds: a.updatedAt)
        json.key("favorited"); json.bool(a.favorited)
        json.key("favoritesCount"); json.int(a.favoritesCount)
        json.key("author"); writeProfile(&json, a.author)
        json.endObject()
    }

    static func article(_ a: Article) -> [UInt8] {
        var json = JSONWriter(capacity: 1024 + (a.body?.utf8.count ?? 0))
        json.beginObject()
        json.key("article")
        writeArticle(&json, a)
        json.endObject()
        return json.bytes
    }

    static func articles(_ page: ArticlePage) -> [UInt8] {
        // ≈ 600 bytes per list item; reserving up front avoids regrowing the buffer for a page of 20.
        var json = JSONWriter(capacity: 256 + page.articles.count * 640)
        json.beginObject()
        json.key("articles")
        json.beginArray()
        for a in page.articles { writeArticle(&json, a) }
        json.endArray()
        json.key("articlesCount"); json.int(page.articlesCount)
        json.endObject()
        return json.bytes
    }

    static func writeComment(_ json: inout JSONWriter, _ c: Comment) {
        json.beginObject()
        json.key("id"); json.int(c.id)
        json.key("createdAt"); json.timestamp(unixMilliseconds: c.createdAt)
        json.key("updatedAt"); json.timestamp(unixMilliseconds: c.updatedAt)
        json.key("body"); json.string(c.body)
        json.key("author"); writeProfile(&json, c.author)
        json.endObject()
    }

    static func comment(_ c: Comment) -> [UInt8] {
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.key("comment")
        writeComment(&json, c)
        json.endObject()
        return json.bytes
    }

    static func comments(_ list: [Comment]) -> [UInt8] {
        var json = JSONWriter(capacity: 128 + list.count * 400)
        json.beginObject()
        json.key("comments")
        json.beginArray()
        for c in list { writeComment(&json, c) }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    static func tags(_ names: [String]) -> [UInt8] {
        var json = JSONWriter(capacity: 64 + names.count * 16)
        json.beginObject()
        json.key("tags")
        json.beginArray()
        for n in names { json.string(n) }
        json.endArray()
        json.endObject()
        return json.bytes
    }
}

/// A Conduit response body before it is encoded: the handlers say *what* to send, the `encoding` knob says *how*.
enum ConduitBody: Sendable {
    case user(UserRecord, token: String)
    case profile(Profile)
    case article(Article)
    case articles(ArticlePage)
    case comment(Comment)
    case comments([Comment])
    case tags([String])
}

/// The `encoding` knob's two paths (values in the knob's order).
enum PayloadEncoding: Int, Sendable, CaseIterable {
    /// `Codable` models, `JSONEncoder`/`JSONDecoder` (see `FoundationEncoding`).
    case foundation
    /// `JSONWriter` straight into the response buffer; the hand-written `JSONParser` for bodies.
    case direct

    var name: String { self == .foundation ? "foundation" : "direct" }

    func encode(_ body: ConduitBody) -> [UInt8] {
        switch self {
        case .foundation: FoundationEncoding.encode(body)
        case .direct: ConduitEncoding.encode(body)
        }
    }

    /// One article object on its own (an element of a streamed export).
    func encodeArticle(_ article: Article) -> [UInt8] {
        switch self {
        case .foundation: return FoundationEncoding.encodeArticle(article)
        case .direct:
            var json = JSONWriter(capacity: 1024 + (article.body?.utf8.count ?? 0))
            ConduitEncoding.writeArticle(&json, article)
            return json.bytes
        }
    }

    func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        switch self {
        case .foundation: try FoundationEncoding.decode(bytes)
        case .direct: try JSONParser.parse(bytes)
        }
    }
}

extension ConduitEncoding {
    static func encode(_ body: ConduitBody) -> [UInt8] {
        switch body {
        case .user(let u, let token): user(u, token: token)
        case .profile(let p): profile(p)
        case .article(let a): article(a)
        case .articles(let page): articles(page)
        case .comment(let c): comment(c)
        case .comments(let list): comments(list)
        case .tags(let names): tags(names)
        }
    }
}
