import Foundation

/// How a profile's paths become request paths on a target: the `{{api}}` variable and the target URL's path.
///
/// Conduit servers put the API under `/api` (the spec) or at the root (many implementations). Profiles write
/// `{{api}}/articles`; `{{api}}` is `/api` unless `--api-prefix` (or the profile's `apiPrefix`) says otherwise.
/// A target URL ending in the prefix (`http://host:8000/api`) holds it already, so it is never added twice.
/// A path without `{{api}}` (e.g. `--path /api/tags`) is put after the URL's path, unless it already starts with it.
public struct RequestPaths: Sendable, Equatable {
    /// The target URL's path, e.g. "" or "/api" or "/v1/api".
    public let urlPath: String
    /// What `{{api}}` stands for: "/api" by default, "" for a server without a prefix.
    public let api: String
    /// The part of `urlPath` before the API prefix (what `{{api}}` paths are appended to).
    public let base: String

    /// The default API prefix of the Conduit spec.
    public static let defaultAPIPrefix = "/api"

    /// - Parameters:
    ///   - urlPath: the target URL's path ("" for the embedded demo).
    ///   - apiPrefix: an explicit prefix ("" or "/" for none); nil: "/api".
    public init(urlPath: String, apiPrefix: String?) {
        let url = Self.normalize(urlPath)
        let api = Self.normalize(apiPrefix ?? Self.defaultAPIPrefix)
        self.urlPath = url
        self.api = api
        base = !api.isEmpty && url.hasSuffix(api) ? String(url.dropLast(api.count)) : url
    }

    /// The request path (with query) for a profile path: `{{api}}` replaced, the URL's path in front, never twice.
    public func resolve(_ path: String) -> String {
        if Self.usesAPI(path) {
            return base + path.replacingOccurrences(of: "{{api}}", with: api)
                .replacingOccurrences(of: "{{ api }}", with: api)
        }
        if urlPath.isEmpty || path == urlPath || path.hasPrefix(urlPath + "/") || path.hasPrefix(urlPath + "?") {
            return path
        }
        return urlPath + path
    }

    /// Whether `path` uses the `{{api}}` variable.
    public static func usesAPI(_ path: String) -> Bool {
        path.contains("{{api}}") || path.contains("{{ api }}")
    }

    /// "/x/" → "/x", "x" → "/x", "/" and "" → "".
    static func normalize(_ prefix: String) -> String {
        var p = prefix
        while p.hasSuffix("/") { p.removeLast() }
        if !p.isEmpty && !p.hasPrefix("/") { p = "/" + p }
        return p
    }
}
