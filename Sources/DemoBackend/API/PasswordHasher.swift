import CCrypto

/// Password hashing with PBKDF2-HMAC-SHA256 (OpenSSL), stored as `"pbkdf2$<iterations>$<salt-b64>$<hash-b64>"`.
///
/// Hashing is CPU-heavy on purpose (FACTS.md): it is what makes a stolen hash expensive to crack, and it is also
/// what caps logins per second on two cores.
public enum PasswordHasher {
    /// PBKDF2 iterations for new hashes. 10,000 rounds of HMAC-SHA256 cost ≈ 4.7 ms per hash on this 2-core box
    /// (release build, mean of 20 hashes): enough for login/register to be visibly CPU-bound under load (≈ 200
    /// logins/s per core at most), cheap enough for tests. OWASP's 2023 advice is 600,000 — a production setting,
    /// not a demo's. Stored hashes carry their own count, so changing this never invalidates existing users.
    public static let iterations = 10_000
    static let saltBytes = 16
    static let hashBytes = 32

    /// A new salted hash of `password`.
    public static func hash(_ password: String) -> String {
        var salt = [UInt8](repeating: 0, count: saltBytes)
        guard RAND_bytes(&salt, Int32(saltBytes)) == 1 else {
            // Without randomness we cannot produce a safe hash; this is a broken system, not bad input.
            fatalError("RAND_bytes failed: OpenSSL has no entropy source")
        }
        let derived = derive(password: password, salt: salt, iterations: iterations)
        return "pbkdf2$\(iterations)$\(Base64.encode(salt))$\(Base64.encode(derived))"
    }

    /// Whether `password` matches `stored` (a string made by `hash`); false for any malformed `stored`.
    /// The comparison of the derived bytes is constant-time.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2",
              let rounds = Int(parts[1]), rounds > 0, rounds <= 10_000_000,
              let salt = Base64.decode(parts[2].utf8), let expected = Base64.decode(parts[3].utf8),
              !expected.isEmpty, expected.count <= 64
        else { return false }
        let derived = derive(password: password, salt: salt, iterations: rounds, length: expected.count)
        return constantTimeEquals(derived, expected)
    }

    static func derive(password: String, salt: [UInt8], iterations: Int, length: Int = hashBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        // withCString: a valid pointer even for an empty password (the length says how many bytes count).
        let ok = password.withCString { pw in
            PKCS5_PBKDF2_HMAC(pw, Int32(password.utf8.count), salt, Int32(salt.count),
                              Int32(iterations), EVP_sha256(), Int32(length), &out)
        }
        precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
        return out
    }
}

/// Compares two byte strings in time that depends only on their lengths, not on where they differ
/// (so a timing attacker learns nothing about a secret prefix).
func constantTimeEquals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
where A.Element == UInt8, B.Element == UInt8 {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}
