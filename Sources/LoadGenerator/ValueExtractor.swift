// Extracting values from JSON responses with a tiny path language (harvests and session variables).
import Foundation

/// Extracts values from a JSON document by a path such as `tags[]`, `articles[].slug`,
/// `articles[].author.username` or `user.token`.
///
/// A path is dot-separated keys; a key followed by `[]` iterates the array under it (a leading `[]` iterates a
/// top-level array). Strings are returned as they are, numbers and booleans in their JSON spelling; nulls,
/// objects and arrays at the end of the path are skipped. Off the hot path (Foundation's JSONSerialization).
public struct ValueExtractor: Sendable, Equatable {
    private enum Step: Sendable, Equatable {
        case key(String)
        case each
    }

    public let path: String
    private let steps: [Step]

    /// Parses `path`; throws when it is empty or malformed (e.g. `a..b`, `a[0]`).
    public init(_ path: String) throws(LoadPlanError) {
        self.path = path
        var steps: [Step] = []
        guard !path.isEmpty else { throw LoadPlanError("extraction path is empty") }
        for (i, part) in path.split(separator: ".", omittingEmptySubsequences: false).enumerated() {
            var key = Substring(part)
            var each = 0
            while key.hasSuffix("[]") { key = key.dropLast(2); each += 1 }
            if key.isEmpty && !(i == 0 && each > 0) {
                throw LoadPlanError("extraction path \"\(path)\": empty key in part \(i + 1)")
            }
            if key.contains("[") || key.contains("]") {
                throw LoadPlanError("extraction path \"\(path)\": only \"[]\" (every element) is supported, in \"\(part)\"")
            }
            if !key.isEmpty { steps.append(.key(String(key))) }
            steps += Array(repeating: .each, count: each)
        }
        self.steps = steps
    }

    /// All values at the path in `json` (document order). Throws when `json` is not JSON.
    public func values(in json: [UInt8]) throws(LoadPlanError) -> [String] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json), options: [.fragmentsAllowed])
        } catch {
            let preview = String(decoding: json.prefix(120), as: UTF8.self)
            throw LoadPlanError("response is not JSON (extracting \"\(path)\"): \(preview)")
        }
        var found: [String] = []
        collect(object, steps[...], into: &found)
        return found
    }

    private func collect(_ node: Any, _ rest: ArraySlice<Step>, into found: inout [String]) {
        guard let step = rest.first else {
            if let s = node as? String { found.append(s) }
            else if let n = node as? NSNumber {
                // JSONSerialization gives booleans as NSNumber too; they report the Objective-C type "c".
                if String(cString: n.objCType) == "c" { found.append(n.boolValue ? "true" : "false") }
                else { found.append(n.stringValue) }
            }
            return
        }
        switch step {
        case .key(let key):
            if let object = node as? [String: Any], let child = object[key] { collect(child, rest.dropFirst(), into: &found) }
        case .each:
            if let array = node as? [Any] { for element in array { collect(element, rest.dropFirst(), into: &found) } }
        }
    }
}
