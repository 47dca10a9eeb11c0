/// What users may send: the longest value of each text field and the characters a username may use (README
/// "Input limits"). Checked before anything is hashed or stored, so a 1 MB username can no longer register and
/// then fail every later request (its token would not fit the server's header limit). Lengths count Unicode
/// scalars, not grapheme clusters: one "character" cannot hide a megabyte of combining marks.
enum InputLimits {
    /// 40 scalars are at most 160 bytes of UTF-8, so the token (which carries the username) stays under 500
    /// bytes: far inside the server's 16 KiB header limit.
    static let username = 40
    /// RFC 5321's longest forward path.
    static let email = 254
    static let password = 256
    static let title = 200
    static let description = 1_000
    static let articleBody = 64 * 1024
    static let commentBody = 10_000
    static let bio = 2_000
    /// A URL.
    static let image = 2_048
    static let tag = 40
    static let tagsPerArticle = 20

    /// Besides letters and digits (any script): these. A username is a path segment (`/api/profiles/{username}`)
    /// and is written into tokens, logs and terminals, so no `/` (it splits the path), no `%` (percent-encoding
    /// would make two spellings of one name), no whitespace, NUL, control or invisible formatting characters.
    static let usernamePunctuation: Set<Unicode.Scalar> = ["_", "-", "."]

    /// ASCII letters, digits and `usernamePunctuation`; beyond ASCII, letters (any script), the combining marks
    /// some scripts need, and decimal digits.
    static func isUsernameScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
                || usernamePunctuation.contains(scalar)
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .decimalNumber:
            return true
        default:
            return false
        }
    }
}

/// Collects every field over its limit (or otherwise unacceptable) so one 422 names them all, in order.
struct InputCheck {
    private var problems: [(field: String, messages: [String])] = []

    /// `value` (when present) has at most `max` Unicode scalars.
    mutating func length(_ field: String, _ value: String?, max: Int) {
        guard let value, value.unicodeScalars.count > max else { return }
        problems.append((field: field, messages: ["is too long (maximum is \(max) characters)"]))
    }

    /// A new username: its length and its characters.
    mutating func username(_ value: String?) {
        guard let value else { return }
        length("username", value, max: InputLimits.username)
        if !value.unicodeScalars.allSatisfy(InputLimits.isUsernameScalar) {
            problems.append((field: "username",
                             messages: ["may contain only letters, digits, '_', '-' and '.'"]))
        } else if value == "." || value == ".." {
            // Dot segments: URL clients remove them, so /api/profiles/.. would never reach this profile.
            problems.append((field: "username", messages: ["cannot be '.' or '..'"]))
        }
    }

    /// An article's tags: how many, and how long each.
    mutating func tags(_ tags: [String]?) {
        guard let tags else { return }
        var messages: [String] = []
        if tags.count > InputLimits.tagsPerArticle {
            messages.append("has too many tags (maximum is \(InputLimits.tagsPerArticle))")
        }
        if tags.contains(where: { $0.unicodeScalars.count > InputLimits.tag }) {
            messages.append("has a tag that is too long (maximum is \(InputLimits.tag) characters)")
        }
        if !messages.isEmpty { problems.append((field: "tagList", messages: messages)) }
    }

    /// Throws one 422 listing every problem found, if any.
    func finish() throws(APIError) {
        if !problems.isEmpty { throw APIError.validation(problems) }
    }
}
