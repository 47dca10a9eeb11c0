@testable import DemoBackend
import Testing

@Suite("Conduit API: articles, comments, favorites, tags")
struct ConduitArticleTests {
    static let articleKeys = ["slug", "title", "description", "body", "tagList", "createdAt", "updatedAt",
                              "favorited", "favoritesCount", "author"]

    @Test func createGetUpdateDeleteArticle() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let token = try api.register("zz-writer")
        let created = try api.request("POST", "/api/articles", body: """
            {"article":{"title":"How to train your dragon","description":"Ever wonder how?","body":"Very carefully.","tagList":["training","dragons"," dragons "]}}
            """, token: token)
        #expect(created.status == 201)
        let article = try #require(created.json?["article"])
        #expect(article.keys == Self.articleKeys)
        let slug = try #require(article["slug"]?.stringValue)
        #expect(slug.hasPrefix("how-to-train-your-dragon-"))
        #expect(article["tagList"] == .array([.string("dragons"), .string("training")]))
        #expect(article["favorited"]?.boolValue == false)
        #expect(article["favoritesCount"]?.intValue == 0)
        #expect(article["author"]?["username"]?.stringValue == "zz-writer")
        let createdAt = try #require(article["createdAt"]?.stringValue)
        #expect(createdAt.count == 24 && createdAt.hasSuffix("Z"))

        let fetched = try api.request("GET", "/api/articles/\(slug)")
        #expect(fetched.status == 200)
        #expect(fetched.json?["article"]?["body"]?.stringValue == "Very carefully.")

        let updated = try api.request("PUT", "/api/articles/\(slug)", body: #"{"article":{"body":"With two hands"}}"#, token: token)
        #expect(updated.status == 200)
        #expect(updated.json?["article"]?["body"]?.stringValue == "With two hands")
        #expect(updated.json?["article"]?["slug"]?.stringValue == slug)

        let retitled = try api.request("PUT", "/api/articles/\(slug)", body: #"{"article":{"title":"A new title"}}"#, token: token)
        let newSlug = try #require(retitled.json?["article"]?["slug"]?.stringValue)
        #expect(newSlug.hasPrefix("a-new-title-"))
        #expect(try api.request("GET", "/api/articles/\(slug)").status == 404)

        let deleted = try api.request("DELETE", "/api/articles/\(newSlug)", token: token)
        #expect(deleted.status == 204)
        #expect(deleted.body.isEmpty)
        let gone = try api.request("GET", "/api/articles/\(newSlug)")
        #expect(gone.status == 404)
        #expect(gone.json?["errors"]?["article"]?[0]?.stringValue == "not found")
    }

    @Test func articleValidationAndOwnership() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let owner = try api.register("zz-owner")
        let other = try api.register("zz-other")
        let blank = try api.request("POST", "/api/articles", body: #"{"article":{"title":"","body":"b"}}"#, token: owner)
        #expect(blank.status == 422)
        #expect(blank.json?["errors"]?.keys == ["title", "description"])
        let badTags = try api.request("POST", "/api/articles", body: #"{"article":{"title":"t","description":"d","body":"b","tagList":[1]}}"#, token: owner)
        #expect(badTags.status == 422)

        let slug = try api.createArticle(token: owner, title: "Mine")
        let edit = try api.request("PUT", "/api/articles/\(slug)", body: #"{"article":{"body":"hijacked"}}"#, token: other)
        #expect(edit.status == 403)
        #expect(edit.json?["errors"]?["article"]?[0]?.stringValue == "forbidden")
        #expect(try api.request("DELETE", "/api/articles/\(slug)", token: other).status == 403)
        #expect(try api.request("PUT", "/api/articles/no-such-slug", body: #"{"article":{"body":"x"}}"#, token: owner).status == 404)
        #expect(try api.request("DELETE", "/api/articles/no-such-slug", token: owner).status == 404)
        #expect(try api.request("GET", "/api/articles/\(slug)").json?["article"]?["body"]?.stringValue == "text of Mine")
    }

    @Test func listIsNewestFirstWithPaginationAndTotalCount() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let all = try api.request("GET", "/api/articles")
        #expect(all.status == 200)
        let total = try #require(all.json?["articlesCount"]?.intValue)
        #expect(total > 100)   // seeded: ~1,000 at scale 0.01
        let items = try #require(all.json?["articles"]?.arrayValue)
        #expect(items.count == 20)   // default limit
        // Spec 1.1.0 list items carry no body.
        #expect(items[0]["body"] == nil)
        let dates = items.compactMap { $0["createdAt"]?.stringValue }
        #expect(dates == dates.sorted(by: >))

        let page = try api.request("GET", "/api/articles?limit=5&offset=3")
        let pageItems = try #require(page.json?["articles"]?.arrayValue)
        #expect(pageItems.count == 5)
        #expect(pageItems.map { $0["slug"] } == items[3..<8].map { $0["slug"] })
        #expect(page.json?["articlesCount"]?.intValue == total)

        let tail = try api.request("GET", "/api/articles?limit=10&offset=\(total - 4)")
        #expect(tail.json?["articles"]?.count == 4)
        #expect(try api.request("GET", "/api/articles?offset=\(total + 10)").json?["articles"]?.count == 0)

        for bad in ["limit=0", "limit=-1", "limit=abc", "offset=-5"] {
            let r = try api.request("GET", "/api/articles?\(bad)")
            #expect(r.status == 422, "\(bad)")
        }
        // paging=bounded (the default) cuts a larger limit to the cap and says so.
        let capped = try api.request("GET", "/api/articles?limit=100000")
        #expect(capped.status == 200)
        #expect(capped.header("X-Limit-Cap") == String(ArticleQuery.maxLimit))
    }

    @Test func filtersByTagAuthorAndFavorited() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let author = try api.register("zz-filter-author")
        let fan = try api.register("zz-filter-fan")
        let a = try api.createArticle(token: author, title: "First", tags: ["zz-rare-tag", "zz-common"])
        let b = try api.createArticle(token: author, title: "Second", tags: ["zz-common"])
        _ = try api.createArticle(token: fan, title: "Third", tags: ["zz-common"])

        let byTag = try api.request("GET", "/api/articles?tag=zz-rare-tag")
        #expect(byTag.json?["articlesCount"]?.intValue == 1)
        #expect(byTag.json?["articles"]?[0]?["slug"]?.stringValue == a)
        #expect(byTag.json?["articles"]?[0]?["tagList"] == .array([.string("zz-common"), .string("zz-rare-tag")]))
        #expect(try api.request("GET", "/api/articles?tag=zz-common").json?["articlesCount"]?.intValue == 3)

        let byAuthor = try api.request("GET", "/api/articles?author=zz-filter-author")
        #expect(byAuthor.json?["articlesCount"]?.intValue == 2)
        #expect(byAuthor.json?["articles"]?[0]?["slug"]?.stringValue == b)   // newest first

        #expect(try api.request("POST", "/api/articles/\(a)/favorite", token: fan).status == 200)
        let favorited = try api.request("GET", "/api/articles?favorited=zz-filter-fan", token: fan)
        #expect(favorited.json?["articlesCount"]?.intValue == 1)
        #expect(favorited.json?["articles"]?[0]?["favorited"]?.boolValue == true)
        #expect(favorited.json?["articles"]?[0]?["favoritesCount"]?.intValue == 1)

        let combined = try api.request("GET", "/api/articles?tag=zz-common&author=zz-filter-author&favorited=zz-filter-fan")
        #expect(combined.json?["articlesCount"]?.intValue == 1)
        #expect(try api.request("GET", "/api/articles?author=zz-nobody").json?["articlesCount"]?.intValue == 0)
        #expect(try api.request("GET", "/api/articles?tag=zz-no-such-tag").json?["articles"]?.count == 0)
    }

    @Test func feedFollowsFollowedAuthors() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let reader = try api.register("zz-reader")
        let writer = try api.register("zz-feed-writer")
        let empty = try api.request("GET", "/api/articles/feed", token: reader)
        #expect(empty.status == 200)
        #expect(empty.json?["articlesCount"]?.intValue == 0)
        let slug = try api.createArticle(token: writer, title: "For my followers")
        _ = try api.request("POST", "/api/profiles/zz-feed-writer/follow", token: reader)
        let feed = try api.request("GET", "/api/articles/feed", token: reader)
        #expect(feed.json?["articlesCount"]?.intValue == 1)
        #expect(feed.json?["articles"]?[0]?["slug"]?.stringValue == slug)
        #expect(feed.json?["articles"]?[0]?["author"]?["following"]?.boolValue == true)
        _ = try api.request("DELETE", "/api/profiles/zz-feed-writer/follow", token: reader)
        #expect(try api.request("GET", "/api/articles/feed", token: reader).json?["articlesCount"]?.intValue == 0)
    }

    @Test func favoriteAndUnfavorite() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let author = try api.register("zz-fav-author")
        let fan = try api.register("zz-fav-fan")
        let slug = try api.createArticle(token: author, title: "Likeable")
        let fav = try api.request("POST", "/api/articles/\(slug)/favorite", token: fan)
        #expect(fav.json?["article"]?["favorited"]?.boolValue == true)
        #expect(fav.json?["article"]?["favoritesCount"]?.intValue == 1)
        // Idempotent.
        #expect(try api.request("POST", "/api/articles/\(slug)/favorite", token: fan).json?["article"]?["favoritesCount"]?.intValue == 1)
        #expect(try api.request("GET", "/api/articles/\(slug)", token: author).json?["article"]?["favorited"]?.boolValue == false)
        let unfav = try api.request("DELETE", "/api/articles/\(slug)/favorite", token: fan)
        #expect(unfav.json?["article"]?["favorited"]?.boolValue == false)
        #expect(unfav.json?["article"]?["favoritesCount"]?.intValue == 0)
        #expect(try api.request("POST", "/api/articles/no-such/favorite", token: fan).status == 404)
    }

    @Test func commentsLifecycle() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let author = try api.register("zz-c-author")
        let commenter = try api.register("zz-commenter")
        let slug = try api.createArticle(token: author, title: "Discuss")
        let posted = try api.request("POST", "/api/articles/\(slug)/comments", body: #"{"comment":{"body":"Thank you so much!"}}"#, token: commenter)
        #expect(posted.status == 200)
        let comment = try #require(posted.json?["comment"])
        #expect(comment.keys == ["id", "createdAt", "updatedAt", "body", "author"])
        let id = try #require(comment["id"]?.intValue)
        #expect(comment["author"]?["username"]?.stringValue == "zz-commenter")

        let list = try api.request("GET", "/api/articles/\(slug)/comments")
        #expect(list.status == 200)
        #expect(list.json?["comments"]?.count == 1)
        #expect(try api.request("GET", "/api/articles/no-such/comments").status == 404)
        let blank = try api.request("POST", "/api/articles/\(slug)/comments", body: #"{"comment":{"body":" "}}"#, token: commenter)
        #expect(blank.status == 422)
        #expect(blank.json?["errors"]?["body"]?[0]?.stringValue == "can't be blank")

        #expect(try api.request("DELETE", "/api/articles/\(slug)/comments/\(id)", token: author).status == 403)
        #expect(try api.request("DELETE", "/api/articles/\(slug)/comments/999999", token: commenter).status == 404)
        #expect(try api.request("DELETE", "/api/articles/\(slug)/comments/abc", token: commenter).status == 404)
        #expect(try api.request("DELETE", "/api/articles/\(slug)/comments/\(id)", token: commenter).status == 204)
        #expect(try api.request("GET", "/api/articles/\(slug)/comments").json?["comments"]?.count == 0)
    }

    @Test func tagsAreAllTagsMostUsedFirst() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        let token = try api.register("zz-tagger")
        for i in 0..<3 { _ = try api.createArticle(token: token, title: "Tagged \(i)", tags: ["zz-unused-elsewhere"]) }
        let r = try api.request("GET", "/api/tags")
        #expect(r.status == 200)
        let list = try #require(r.json?["tags"]?.arrayValue)
        let tags = list.compactMap { $0.stringValue }
        // Every tag, not a page: the seeded ones plus the new one.
        #expect(tags.count == api.backend.database.counts.tags + 1)
        #expect(tags.contains("zz-unused-elsewhere"))
        // Most used first: the article count per tag never increases down the list.
        let uses = try tags.map { try api.request("GET", "/api/articles?limit=1&tag=\($0)").json?["articlesCount"]?.intValue ?? -1 }
        #expect(uses == uses.sorted(by: >), "\(zip(tags, uses).map { "\($0)=\($1)" })")
        #expect(Set(tags).count == tags.count)
    }

    @Test func unknownRoutesAndMethods() throws {
        let api = try APITestBackend()
        defer { api.stop() }
        #expect(try api.request("GET", "/api/nope").status == 404)
        #expect(try api.request("GET", "/").status == 404)
        let wrongMethod = try api.request("PATCH", "/api/tags")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "GET")
        #expect(try api.request("GET", "/api/tags/").status == 200)
    }
}
