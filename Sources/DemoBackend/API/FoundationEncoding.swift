import Foundation

/// The `encoding=foundation` path: what most Swift services do. Responses become `Codable` values, a fresh
/// `JSONEncoder` turns them into `Data`, and the bytes are copied into the response; request bodies go through
/// `JSONDecoder`. The JSON means the same as `ConduitEncoding`'s (tests compare parsed values); only key order and
/// the escaping of `/` differ.
///
/// Honest naive work, not a strawman: one encoder per response, as a handler written the obvious way creates
/// (`let encoder = JSONEncoder()`), with the ISO-8601 date strategy Conduit's timestamps need (milliseconds).
enum FoundationEncoding {
    /// A fresh encoder, as a handler written the obvious way makes one.
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(timestampStyle))
        }
        return encoder
    }

    static func encodeArticle(_ article: Article) -> [UInt8] {
        do {
            return [UInt8](try makeEncoder().encode(CodableArticle(article)))
        } catch {
            preconditionFailure("JSONEncoder failed on a Conduit model: \(error)")
        }
    }

    static func encode(_ body: ConduitBody) -> [UInt8] {
        let encoder = makeEncoder()
        do {
            let data: Data
            switch body {
            case .user(let u, let token): data = try encoder.encode(UserEnvelope(user: CodableUser(u, token: token)))
            case .profile(let p): data = try encoder.encode(ProfileEnvelope(profile: CodableProfile(p)))
            case .article(let a): data = try encoder.encode(ArticleEnvelope(article: CodableArticle(a)))
            case .articles(let page):
                data = try encoder.encode(ArticlesEnvelope(articles: page.articles.map(CodableArticle.init),
                                                           articlesCount: page.articlesCount))
            case .comment(let c): data = try encoder.encode(CommentEnvelope(comment: CodableComment(c)))
            case .comments(let list): data = try encoder.encode(CommentsEnvelope(comments: list.map(CodableComment.init)))
            case .tags(let names): data = try encoder.encode(TagsEnvelope(tags: names))
            }
            return [UInt8](data)   // the copy into the response buffer that this path pays for
        } catch {
            // Our models hold only strings, numbers, booleans and finite dates: encoding cannot fail.
            preconditionFailure("JSONEncoder failed on a Conduit model: \(error)")
        }
    }

    /// `2024-01-02T03:04:05.678Z`, like `JSONWriter.timestamp`.
    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// The `Date` of a stored millisecond. `Date` holds binary seconds and the format style truncates, so
    /// 1700000000.123 s would print as .122: aiming at the middle of the millisecond prints the stored one.
    static func date(_ unixMilliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: (Double(unixMilliseconds) + 0.5) / 1000)
    }

    /// A request body through `JSONDecoder` into the same `JSONValue` tree the hand-written parser builds.
    static func decode(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            // JSONDecoder's messages name Swift types and coding paths: keep them out of client responses.
            throw JSONParseError(message: "JSONDecoder rejected the body", offset: 0)
        }
    }
}

// MARK: Codable response models (envelopes in the spec's shape)

struct UserEnvelope: Encodable { var user: CodableUser }
struct ProfileEnvelope: Encodable { var profile: CodableProfile }
struct ArticleEnvelope: Encodable { var article: CodableArticle }
struct ArticlesEnvelope: Encodable { var articles: [CodableArticle]; var articlesCount: Int64 }
struct CommentEnvelope: Encodable { var comment: CodableComment }
struct CommentsEnvelope: Encodable { var comments: [CodableComment] }
struct TagsEnvelope: Encodable { var tags: [String] }

struct CodableUser: Encodable {
    var email: String
    var token: String
    var username: String
    var bio: String?
    var image: String?

    init(_ u: UserRecord, token: String) {
        email = u.email; self.token = token; username = u.username; bio = u.bio; image = u.image
    }

    enum CodingKeys: String, CodingKey { case email, token, username, bio, image }

    // Spec 1.1.0 sends `"bio": null`; the synthesized encoder would leave nil fields out.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(email, forKey: .email)
        try c.encode(token, forKey: .token)
        try c.encode(username, forKey: .username)
        try c.encode(bio, forKey: .bio)
        try c.encode(image, forKey: .image)
    }
}

struct CodableProfile: Encodable {
    var username: String
    var bio: String?
    var image: String?
    var following: Bool

    init(_ p: Profile) { username = p.username; bio = p.bio; image = p.image; following = p.following }

    enum CodingKeys: String, CodingKey { case username, bio, image, following }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(username, forKey: .username)
        try c.encode(bio, forKey: .bio)
        try c.encode(image, forKey: .image)
        try c.encode(following, forKey: .following)
    }
}

struct CodableArticle: Encodable {
    var slug: String
    var title: String
    var description: String
    /// Absent in list responses (synthesized `encodeIfPresent` is what we want here).
    var body: String?
    var tagList: [String]
    var createdAt: Date
    var updatedAt: Date
    var favorited: Bool
    var favoritesCount: Int64
    var author: CodableProfile

    init(_ a: Article) {
        slug = a.slug; title = a.title; description = a.description; body = a.body; tagList = a.tagList
        createdAt = FoundationEncoding.date(a.createdAt); updatedAt = FoundationEncoding.date(a.updatedAt)
        favorited = a.favorited; favoritesCount = a.favoritesCount; author = CodableProfile(a.author)
    }
}

struct CodableComment: Encodable {
    var id: Int64
    var createdAt: Date
    var updatedAt: Date
    var body: String
    var author: CodableProfile

    init(_ c: Comment) {
        id = c.id; createdAt = FoundationEncoding.date(c.createdAt); updatedAt = FoundationEncoding.date(c.updatedAt)
        body = c.body; author = CodableProfile(c.author)
    }
}

// MARK: Request bodies through JSONDecoder

extension JSONValue: Decodable {
    init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: AnyCodingKey.self) {
            var members: [(String, JSONValue)] = []
            for key in object.allKeys { members.append((key.stringValue, try object.decode(JSONValue.self, forKey: key))) }
            self = .object(members)
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let b = try? single.decode(Bool.self) { self = .bool(b) }
        else if let n = try? single.decode(Double.self) { self = .number(n) }
        else { self = .string(try single.decode(String.self)) }
    }
}

/// Any object key (request bodies are decoded without a fixed schema, like the hand-written parser).
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
