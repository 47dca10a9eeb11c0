import CCrypto
import Glibc

/// The claims the API puts in a token.
struct TokenClaims: Equatable, Sendable {
    /// `sub`: the user's id.
    var userID: Int64
    /// `exp`: unix seconds after which the token is refused.
    var expiresAt: Int64
}

/// Why a token was refused (all map to 401 `{"errors":{"token":["is invalid"]}}`).
enum TokenError: Error, Equatable {
    case malformed, badSignature, unsupportedAlgorithm, expired
}

/// HS256 JSON Web Tokens (RFC 7519) signed with HMAC-SHA256 over OpenSSL.
///
/// The secret is 32 random bytes generated once per data directory and stored in the `meta` table
/// (`jwt_secret`, base64): tokens survive a restart, and two data directories never accept each other's tokens.
/// (Deriving it from something fixed would make every demo install accept every other's tokens.)
struct TokenSigner: Sendable {
    /// How long a token is valid: 30 days, long enough that a long soak run never sees one expire.
    static let lifetimeSeconds: Int64 = 30 * 86_400
    static let secretBytes = 32
    /// `{"alg":"HS256","typ":"JWT"}` base64url-encoded: the same for every token, computed once.
    private static let encodedHeader = Base64.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), urlSafe: true)

    private let secret: [UInt8]
    private let now: @Sendable () -> Int64

    init(secret: [UInt8], now: @escaping @Sendable () -> Int64 = { Int64(time(nil)) }) {
        precondition(!secret.isEmpty, "empty token secret")
        self.secret = secret
        self.now = now
    }

    /// A new random secret (RAND_bytes).
    static func makeSecret() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: secretBytes)
        guard RAND_bytes(&bytes, Int32(secretBytes)) == 1 else { fatalError("RAND_bytes failed: OpenSSL has no entropy source") }
        return bytes
    }

    func sign(userID: Int64, username: String) -> String {
        let issued = now()
        var payload = JSONWriter(capacity: 96)
        payload.beginObject()
        payload.key("sub"); payload.string(String(userID))
        payload.key("username"); payload.string(username)
        payload.key("iat"); payload.int(issued)
        payload.key("exp"); payload.int(issued + Self.lifetimeSeconds)
        payload.endObject()
        let signingInput = Self.encodedHeader + "." + Base64.encode(payload.bytes, urlSafe: true)
        return signingInput + "." + Base64.encode(mac(Array(signingInput.utf8)), urlSafe: true)
    }

    /// Verifies the signature (constant-time), the algorithm and the expiry; returns the claims.
    func verify(_ token: String) throws(TokenError) -> TokenClaims {
        let utf8 = Array(token.utf8)
        guard let firstDot = utf8.firstIndex(of: UInt8(ascii: ".")),
              let secondDot = utf8[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
              !utf8[(secondDot + 1)...].contains(UInt8(ascii: "."))
        else { throw .malformed }
        guard let signature = Base64.decode(utf8[(secondDot + 1)...]) else { throw .malformed }
        let expected = mac(Array(utf8[..<secondDot]))
        guard constantTimeEquals(signature, expected) else { throw .badSignature }
        // Only after the signature checks out do we look at the contents.
        guard let headerBytes = Base64.decode(utf8[..<firstDot]),
              let header = try? JSONParser.parse(headerBytes)
        else { throw .malformed }
        guard header["alg"]?.stringValue == "HS256" else { throw .unsupportedAlgorithm }
        guard let payloadBytes = Base64.decode(utf8[(firstDot + 1)..<secondDot]),
              let payload = try? JSONParser.parse(payloadBytes),
              let subject = payload["sub"]?.stringValue, let userID = Int64(subject),
              case .number(let exp)? = payload["exp"]
        else { throw .malformed }
        let expiresAt = Int64(exp)
        guard now() < expiresAt else { throw .expired }
        return TokenClaims(userID: userID, expiresAt: expiresAt)
    }

    private func mac(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = secret.withUnsafeBytes { key in
            HMAC(EVP_sha256(), key.baseAddress, Int32(key.count), message, message.count, &out, &length)
        }
        precondition(result != nil, "HMAC-SHA256 failed")
        return Array(out[..<Int(length)])
    }
}
