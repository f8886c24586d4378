import Foundation

/// The public API's OpenAPI 3.1 document, assembled once at start from the
/// files in the bundle's `OpenAPI` folder: `openapi.json` (info, security,
/// shared components) and one file per service (`paths`, `tags`,
/// `components`). The responses the gateway itself gives are added to every
/// operation here, so the service files list only what their service does.
/// `Tests/System/openapi_doc.py` assembles the same way for offline checks;
/// a system test compares the two.
public struct OpenAPIDocument: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case missing(String)
        case malformed(file: String, reason: String)
        case duplicate(file: String, name: String)

        public var description: String {
            switch self {
            case .missing(let what): "OpenAPI: \(what) is missing from the gateway's bundle"
            case .malformed(let file, let reason): "OpenAPI: \(file): \(reason)"
            case .duplicate(let file, let name): "OpenAPI: \(file) defines \(name) a second time"
            }
        }
    }

    /// The document as served (JSON, UTF-8).
    public let json: Data
    public let operationCount: Int

    static let methods = ["get", "put", "post", "delete", "patch", "head", "options"]
    /// Gateway answers any operation can get (head too large, rate limit,
    /// upstream down or slow).
    static let gatewayResponses = ["431": "HeadersTooLarge", "429": "TooManyRequests", "502": "BadGateway", "503": "ServiceUnavailable", "504": "GatewayTimeout"]

    public static func bundled() throws -> OpenAPIDocument {
        guard let folder = Bundle.module.url(forResource: "OpenAPI", withExtension: nil) else { throw Failure.missing("the OpenAPI folder") }
        return try assemble(folder: folder)
    }

    public static func assemble(folder: URL) throws -> OpenAPIDocument {
        var doc = try object(folder.appendingPathComponent("openapi.json"))
        var paths = doc["paths"] as? [String: Any] ?? [:]
        var tags = doc["tags"] as? [Any] ?? []
        var components = doc["components"] as? [String: Any] ?? [:]
        let parts = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" && $0.lastPathComponent != "openapi.json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        for part in parts {
            let file = part.lastPathComponent
            let fragment = try object(part)
            let unknown = Set(fragment.keys).subtracting(["paths", "tags", "components"])
            guard unknown.isEmpty else { throw Failure.malformed(file: file, reason: "unexpected top-level keys \(unknown.sorted())") }
            for (path, item) in fragment["paths"] as? [String: Any] ?? [:] {
                guard paths[path] == nil else { throw Failure.duplicate(file: file, name: "path \(path)") }
                paths[path] = item
            }
            tags += fragment["tags"] as? [Any] ?? []
            for (kind, entries) in fragment["components"] as? [String: [String: Any]] ?? [:] {
                var target = components[kind] as? [String: Any] ?? [:]
                for (name, value) in entries {
                    guard target[name] == nil else { throw Failure.duplicate(file: file, name: "components.\(kind).\(name)") }
                    target[name] = value
                }
                components[kind] = target
            }
        }
        let signedInByDefault = !((doc["security"] as? [Any]) ?? []).isEmpty
        var count = 0
        for (path, rawItem) in paths {
            guard var item = rawItem as? [String: Any] else { throw Failure.malformed(file: path, reason: "a path item must be an object") }
            for method in methods {
                guard var operation = item[method] as? [String: Any] else { continue }
                count += 1
                var responses = operation["responses"] as? [String: Any] ?? [:]
                var extra = gatewayResponses
                let security = operation["security"] as? [Any]
                if security.map({ !$0.isEmpty }) ?? signedInByDefault { extra["401"] = "Unauthorized" }
                if operation["requestBody"] != nil {
                    extra["413"] = "PayloadTooLarge"
                    // The body stopped arriving.
                    extra["408"] = "RequestTimeout"
                }
                for (status, name) in extra where responses[status] == nil {
                    responses[status] = ["$ref": "#/components/responses/\(name)"]
                }
                operation["responses"] = responses
                item[method] = operation
            }
            paths[path] = item
        }
        doc["paths"] = paths
        doc["tags"] = tags
        doc["components"] = components
        let json = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes])
        return OpenAPIDocument(json: json, operationCount: count)
    }

    private static func object(_ url: URL) throws -> [String: Any] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw Failure.missing(url.lastPathComponent) }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure.malformed(file: url.lastPathComponent, reason: "not a JSON object")
        }
        return object
    }
}
