/// Progress of a seeding run: the phase and how far it got (rows, or steps for the index phase).
public struct SeedProgress: Sendable, Equatable {
    /// "users", "tags", "articles", "favorites", "follows", "comments", "indexes", "counts", "analyze"; "migrate" when
    /// an existing database is brought to the current schema.
    public var phase: String
    public var done: Int
    public var total: Int

    public init(phase: String, done: Int, total: Int) {
        self.phase = phase
        self.done = done
        self.total = total
    }
}

/// Row counts of the data tables.
public struct TableCounts: Sendable, Equatable, CustomStringConvertible {
    public var users = 0
    public var articles = 0
    public var tags = 0
    public var articleTags = 0
    public var favorites = 0
    public var follows = 0
    public var comments = 0

    public init() {}

    /// Counts the rows of each table now.
    public static func count(on connection: SQLiteConnection) throws -> TableCounts {
        func count(_ table: String) throws -> Int {
            Int(try connection.prepare("SELECT COUNT(*) FROM \(table)").firstRow { $0.int(0) } ?? 0)
        }
        return try connection.read {
            var counts = TableCounts()
            counts.users = try count("users")
            counts.articles = try count("articles")
            counts.tags = try count("tags")
            counts.articleTags = try count("article_tags")
            counts.favorites = try count("favorites")
            counts.follows = try count("follows")
            counts.comments = try count("comments")
            return counts
        }
    }

    public var description: String {
        "\(users) users, \(articles) articles, \(tags) tags, \(articleTags) article tags, \(favorites) favorites, "
            + "\(follows) follows, \(comments) comments"
    }
}

/// Fills an empty database (schema created here) with deterministic, realistic-looking Conduit data.
///
/// Same `seed` + `scale` + word lists → byte-identical table contents. Sizes at scale 1.0: 2,000 users,
/// 100,000 articles over the two years before 2026-01-01 UTC, 600 tags with Zipf popularity (1–6 per article, the top
/// tag on about 40% of articles), 300,000 favorites, 30,000 follows, 200,000 comments. Popular authors write more and
/// are followed more; popular articles get more favorites and comments.
///
/// Every seeded user's password is `Seeder.seededPassword`; user `n`'s email is `Seeder.email(forUserID: n)`
/// (`user<n>@example.com`), so load profiles can log in as any of them.
public struct Seeder: Sendable {
    /// Default seed for the demo database.
    public static let defaultSeed: UInt64 = 42
    /// Bump when the generated data changes for a given seed: databases seeded by another version are refused.
    public static let version = 1
    /// The password of every seeded user.
    public static let seededPassword = "password"
    /// The email of seeded user `id` (1-based).
    public static func email(forUserID id: Int) -> String { "user\(id)@example.com" }

    /// How many rows of each kind a scale gives.
    public struct Sizes: Sendable, Equatable {
        public var users: Int
        public var articles: Int
        public var tags: Int
        /// Target; fewer when a tiny scale leaves too few users to follow.
        public var follows: Int
        public var favorites: Int
        public var comments: Int

        public init(scale: Double, availableTags: Int) {
            func scaled(_ base: Double, minimum: Int) -> Int { max(minimum, Int((base * scale).rounded())) }
            users = scaled(2_000, minimum: 5)
            articles = scaled(100_000, minimum: 10)
            tags = min(availableTags, scaled(600, minimum: 5))
            follows = scaled(30_000, minimum: 0)
            favorites = min(scaled(300_000, minimum: 0), users * articles / 2)
            comments = scaled(200_000, minimum: 0)
        }
    }

    public let seed: UInt64
    public let scale: Double
    public let words: WordLists
    public let sizes: Sizes

    /// End of the seeded time range (2026-01-01T00:00:00Z, unix ms): fixed, so data does not depend on the clock.
    static let endMilliseconds: Int64 = 1_767_225_600_000
    /// Articles spread over the 730 days before `endMilliseconds`.
    static let spanMilliseconds: Int64 = 730 * 86_400_000

    /// - Parameters:
    ///   - scale: 1.0 = the sizes above; tests use e.g. 0.01. Must be > 0.
    ///   - words: the vocabulary (default: the lists embedded from `Assets/words`).
    public init(seed: UInt64 = Seeder.defaultSeed, scale: Double = 1.0, words: WordLists = .embedded) {
        precondition(scale > 0 && scale.isFinite, "Seeder scale must be a positive number, got \(scale)")
        self.seed = seed
        self.scale = scale
        self.words = words
        self.sizes = Sizes(scale: scale, availableTags: words.tags.count)
    }

    /// Creates the schema and all rows in `connection` (an empty database), then the secondary indexes and planner
    /// statistics. Rows go in primary-key order in one transaction through reused prepared statements; foreign keys
    /// are off while inserting (the data is consistent by construction; tests run `PRAGMA foreign_key_check`).
    ///
    /// - Parameters:
    ///   - passwordHash: the stored hash of `seededPassword`, computed once by the caller for all users.
    ///   - progress: called from this thread every few thousand rows and at each phase end.
    public func seed(into connection: SQLiteConnection, passwordHash: String,
                     progress: (SeedProgress) -> Void = { _ in }) throws -> TableCounts {
        try connection.execute("PRAGMA foreign_keys=OFF")
        var counts = TableCounts()
        try connection.transaction {
            try Schema.create(on: connection)
            let meta = try connection.prepare("INSERT INTO meta (key, value) VALUES (?, ?)")
            for (key, value) in metaValues {
                try meta.bind(.text(key), .text(value))
                try meta.run()
            }
            // The generator lives only for this call, so the closure does not really escape.
            try withoutActuallyEscaping(progress) { progress in
                var generator = Generation(seeder: self, connection: connection, progress: progress)
                try generator.run(passwordHash: passwordHash, counts: &counts)
            }
        }
        try connection.execute("PRAGMA foreign_keys=ON")
        try SecondaryIndexes.create(on: connection, analyze: false) { done, total in
            progress(SeedProgress(phase: "indexes", done: done, total: total))
        }
        progress(SeedProgress(phase: "counts", done: 0, total: 1))
        try connection.transaction { try MaintainedCounts.install(on: connection) }
        progress(SeedProgress(phase: "counts", done: 1, total: 1))
        progress(SeedProgress(phase: "analyze", done: 0, total: 1))
        try connection.execute("PRAGMA analysis_limit=\(SecondaryIndexes.analysisLimit); ANALYZE")
        progress(SeedProgress(phase: "analyze", done: 1, total: 1))
        return counts
    }

    /// The `meta` rows identifying this data set.
    public var metaValues: [(key: String, value: String)] {
        [("app", Schema.appName), ("schema_version", String(Schema.version)),
         ("seeder_version", String(Self.version)), ("seed", String(seed)), ("scale", String(scale))]
    }
}

/// One seeding run's state: the PRNG streams, popularity distributions and reusable buffers.
private struct Generation {
    let seeder: Seeder
    let connection: SQLiteConnection
    let progress: (SeedProgress) -> Void
    let sizes: Seeder.Sizes
    let words: WordLists
    var text: TextGenerator

    /// Users ranked by how much they write and how many follow them (rank → user index).
    var authorRank: [Int32] = []
    /// Articles ranked by popularity (rank → article index).
    var articleRank: [Int32] = []
    /// created_at of each article (index = id - 1).
    var articleCreated: [Int64] = []
    var buffer = ""

    init(seeder: Seeder, connection: SQLiteConnection, progress: @escaping (SeedProgress) -> Void) {
        self.seeder = seeder
        self.connection = connection
        self.progress = progress
        self.sizes = seeder.sizes
        self.words = seeder.words
        self.text = TextGenerator(words: seeder.words)
        buffer.reserveCapacity(8192)
    }

    /// Progress every this many rows: often enough for a live bar, rare enough to cost nothing.
    static let progressEvery = 5_000

    func report(_ phase: String, _ done: Int, _ total: Int) {
        if done == total || done % Self.progressEvery == 0 {
            progress(SeedProgress(phase: phase, done: done, total: total))
        }
    }

    mutating func run(passwordHash: String, counts: inout TableCounts) throws {
        let root = SeedRandom(seed: seeder.seed)
        var rankRandom = root.derived(1)
        authorRank = rankRandom.permutation(sizes.users)
        articleRank = rankRandom.permutation(sizes.articles)

        var random = root.derived(2)
        counts.users = try insertUsers(passwordHash: passwordHash, random: &random)
        random = root.derived(3)
        counts.tags = try insertTags()
        random = root.derived(4)
        (counts.articles, counts.articleTags) = try insertArticles(random: &random)
        random = root.derived(5)
        counts.favorites = try insertFavorites(random: &random)
        random = root.derived(6)
        counts.follows = try insertFollows(random: &random)
        random = root.derived(7)
        counts.comments = try insertComments(random: &random)
    }

    // MARK: Users

    mutating func insertUsers(passwordHash: String, random: inout SeedRandom) throws -> Int {
        let insert = try connection.prepare(
            "INSERT INTO users (id, username, email, password_hash, bio, image) VALUES (?, ?, ?, ?, ?, ?)")
        var taken = Set<String>(minimumCapacity: sizes.users)
        for id in 1...sizes.users {
            let first = random.pick(words.firstNames).lowercased()
            let last = random.pick(words.lastNames).lowercased()
            var username = random.chance(0.5) ? "\(first)\(last)" : "\(first)_\(last)"
            if !taken.insert(username).inserted {
                var suffix = 2
                while !taken.insert("\(username)\(suffix)").inserted { suffix += 1 }
                username = "\(username)\(suffix)"
            }
            var bio: SQLiteValue = .null
            if random.chance(0.6) {
                buffer.removeAll(keepingCapacity: true)
                text.sentence(into: &buffer, random: &random)
                bio = .text(buffer)
            }
            let image: SQLiteValue = random.chance(0.5)
                ? .text("https://static.productionready.io/images/smiley-cyrus.jpg") : .null
            try insert.bind(.int(Int64(id)), .text(username), .text(Seeder.email(forUserID: id)),
                            .text(passwordHash), bio, image)
            try insert.run()
            report("users", id, sizes.users)
        }
        return sizes.users
    }

    // MARK: Tags

    mutating func insertTags() throws -> Int {
        let insert = try connection.prepare("INSERT INTO tags (id, name) VALUES (?, ?)")
        for id in 1...sizes.tags {
            try insert.bind(.int(Int64(id)), .text(words.tags[id - 1]))
            try insert.run()
        }
        report("tags", sizes.tags, sizes.tags)
        return sizes.tags
    }

    // MARK: Articles and their tags

    mutating func insertArticles(random: inout SeedRandom) throws -> (articles: Int, links: Int) {
        let insertArticle = try connection.prepare("""
            INSERT INTO articles (id, slug, title, description, body, author_id, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertTag = try connection.prepare("INSERT INTO article_tags (article_id, tag_id) VALUES (?, ?)")
        let tagPopularity = ZipfDistribution(count: sizes.tags, exponent: 1.0)
        let authorPopularity = ZipfDistribution(count: sizes.users, exponent: 0.8)
        let step = Seeder.spanMilliseconds / Int64(sizes.articles)
        let start = Seeder.endMilliseconds - Seeder.spanMilliseconds
        articleCreated.reserveCapacity(sizes.articles)
        var tagIDs: [Int] = []
        var links = 0
        var title = ""
        var slug = ""
        for id in 1...sizes.articles {
            // Tags first: the title mentions the main one. Sorted for primary-key-order inserts.
            tagIDs.removeAll(keepingCapacity: true)
            let tagCount = min(sizes.tags, 1 + random.uniform(6))
            while tagIDs.count < tagCount {
                let tagID = tagPopularity.sample(&random) + 1
                if !tagIDs.contains(tagID) { tagIDs.append(tagID) }
            }
            let mainTag = words.tags[tagIDs[0] - 1]
            tagIDs.sort()

            title.removeAll(keepingCapacity: true)
            text.title(into: &title, tag: mainTag, random: &random)
            slug.removeAll(keepingCapacity: true)
            TextGenerator.slug(of: title, id: id, into: &slug)
            buffer.removeAll(keepingCapacity: true)
            text.sentence(into: &buffer, random: &random)
            let description = buffer
            buffer.removeAll(keepingCapacity: true)
            text.body(into: &buffer, random: &random)

            let author = Int64(authorRank[authorPopularity.sample(&random)]) + 1
            let created = start + Int64(id - 1) * step + Int64(random.uniform(Int(step)))
            let updated = random.chance(0.2) ? created + Int64(random.uniform(7 * 86_400_000)) : created
            articleCreated.append(created)

            try insertArticle.bind(.int(Int64(id)), .text(slug), .text(title), .text(description), .text(buffer),
                                   .int(author), .int(created), .int(updated))
            try insertArticle.run()
            for tagID in tagIDs {
                try insertTag.bind(.int(Int64(id)), .int(Int64(tagID)))
                try insertTag.run()
            }
            links += tagIDs.count
            report("articles", id, sizes.articles)
        }
        return (sizes.articles, links)
    }

    // MARK: Favorites

    /// Splits `total` over users by a Zipf activity curve (some users favorite a lot), capping each at `cap`.
    func activityCounts(total: Int, cap: Int, random: inout SeedRandom) -> [Int] {
        var counts = [Int](repeating: 0, count: sizes.users)
        guard total > 0, cap > 0 else { return counts }
        let activity = ZipfDistribution(count: sizes.users, exponent: 0.6)
        var assigned = 0
        var attempts = 0
        // Bounded: at tiny scales every user may hit the cap before `total` is reached.
        while assigned < total && attempts < total * 4 {
            attempts += 1
            let user = Int(authorRank[activity.sample(&random)])
            if counts[user] < cap {
                counts[user] += 1
                assigned += 1
            }
        }
        return counts
    }

    mutating func insertFavorites(random: inout SeedRandom) throws -> Int {
        let perUser = activityCounts(total: sizes.favorites, cap: sizes.articles / 2, random: &random)
        return try insertDistinctPairs(
            "INSERT INTO favorites (user_id, article_id) VALUES (?, ?)", phase: "favorites", perUser: perUser,
            popularity: ZipfDistribution(count: sizes.articles, exponent: 0.9), rank: articleRank,
            targetCount: sizes.articles, excludeSelf: false, random: &random)
    }

    // MARK: Follows

    mutating func insertFollows(random: inout SeedRandom) throws -> Int {
        let perUser = activityCounts(total: sizes.follows, cap: (sizes.users - 1) / 2, random: &random)
        return try insertDistinctPairs(
            "INSERT INTO follows (follower_id, followee_id) VALUES (?, ?)", phase: "follows", perUser: perUser,
            popularity: ZipfDistribution(count: sizes.users, exponent: 0.9), rank: authorRank,
            targetCount: sizes.users, excludeSelf: true, random: &random)
    }

    /// Gives user `u` `perUser[u]` distinct targets (articles to favorite, users to follow) and inserts the pairs in
    /// target order: popular targets first (a Zipf draw over `rank`), uniform ones once the popular are used up for
    /// that user. `excludeSelf`: a user is never its own target.
    private mutating func insertDistinctPairs(_ sql: String, phase: String, perUser: [Int], popularity: ZipfDistribution,
                                              rank: [Int32], targetCount: Int, excludeSelf: Bool,
                                              random: inout SeedRandom) throws -> Int {
        let insert = try connection.prepare(sql)
        var chosen = Set<Int32>()
        var sorted: [Int32] = []
        var inserted = 0
        let total = perUser.reduce(0, +)
        for (index, count) in perUser.enumerated() where count > 0 {
            chosen.removeAll(keepingCapacity: true)
            var attempts = 0
            while chosen.count < count {
                attempts += 1
                let target = attempts < count * 8
                    ? rank[popularity.sample(&random)] : Int32(random.uniform(targetCount))
                if !excludeSelf || target != Int32(index) { chosen.insert(target) }
            }
            sorted.removeAll(keepingCapacity: true)
            sorted.append(contentsOf: chosen)
            sorted.sort()
            for target in sorted {
                try insert.bind(.int(Int64(index + 1)), .int(Int64(target) + 1))
                try insert.run()
                inserted += 1
                report(phase, inserted, total)
            }
        }
        return inserted
    }

    // MARK: Comments

    mutating func insertComments(random: inout SeedRandom) throws -> Int {
        guard sizes.comments > 0 else { return 0 }
        let insert = try connection.prepare("""
            INSERT INTO comments (id, article_id, author_id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            """)
        let popularity = ZipfDistribution(count: sizes.articles, exponent: 0.9)
        let month: Int64 = 30 * 86_400_000
        for id in 1...sizes.comments {
            let article = Int(articleRank[popularity.sample(&random)])
            let author = random.uniform(sizes.users) + 1
            let created = min(Seeder.endMilliseconds, articleCreated[article] + Int64(random.uniform(Int(month))))
            buffer.removeAll(keepingCapacity: true)
            for sentence in 0..<(1 + random.uniform(3)) {
                if sentence > 0 { buffer.append(" ") }
                text.sentence(into: &buffer, random: &random)
            }
            try insert.bind(.int(Int64(id)), .int(Int64(article) + 1), .int(Int64(author)), .text(buffer),
                            .int(created), .int(created))
            try insert.run()
            report("comments", id, sizes.comments)
        }
        return sizes.comments
    }
}
