// Temporary directories for tests that write files (databases, reports).
import Glibc

/// A fresh directory under `$TMPDIR` (or /tmp), removed with everything in it by `remove()`.
public struct TemporaryDirectory: Sendable {
    /// Absolute path, without a trailing slash.
    public let path: String

    /// Creates `<tmp>/<prefix>-XXXXXX` with `mkdtemp`.
    public init(prefix: String = "dyno-test") throws {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard created != nil else {
            throw TestSupportError("mkdtemp failed for \(base)/\(prefix)-XXXXXX: errno \(errno)")
        }
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    /// `path` joined with `name`.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Deletes the directory and its contents (`rm -rf` semantics, without spawning a process).
    public func remove() {
        Self.removeTree(path)
    }

    private static func removeTree(_ path: String) {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name == "." || name == ".." { continue }
                let child = "\(path)/\(name)"
                var info = stat()
                if lstat(child, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                    removeTree(child)
                } else {
                    unlink(child)
                }
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

/// An error from a test helper, with a message saying what failed.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
