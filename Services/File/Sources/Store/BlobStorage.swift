import Foundation
import Hummingbird
import NIOCore
import NIOPosix

/// Where the bytes live: local disk (development, one machine) or S3.
public protocol BlobStorage: Sendable {
    /// Stores the file at `source` under `key` (the source is left in place).
    func put(key: String, source: URL, contentType: String) async throws
    /// The bytes, streamed; nil when there is no such object.
    func body(key: String, context: some RequestContext) async throws -> (ResponseBody, Int64)?
    func delete(key: String) async throws
}

/// Objects as files under a folder.
public struct DiskStorage: BlobStorage {
    let root: URL
    let fileIO = FileIO(threadPool: .singleton)

    public init(root: String) throws {
        self.root = URL(fileURLWithPath: root, isDirectory: true)
        try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true)
    }

    func url(_ key: String) -> URL {
        // Keys are made by the service ("files/<uuid>/<name>"); no "..".
        precondition(!key.contains(".."))
        return root.appendingPathComponent(key)
    }

    public func put(key: String, source: URL, contentType: String) async throws {
        let target = url(key)
        try await NIOThreadPool.singleton.runIfActive {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
            try FileManager.default.copyItem(at: source, to: target)
        }
    }

    public func body(key: String, context: some RequestContext) async throws -> (ResponseBody, Int64)? {
        let path = url(key).path
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value else { return nil }
        return (try await fileIO.loadFile(path: path, context: context), size)
    }

    public func delete(key: String) async throws {
        let target = url(key)
        try await NIOThreadPool.singleton.runIfActive {
            if FileManager.default.fileExists(atPath: target.path) { try FileManager.default.removeItem(at: target) }
        }
    }
}
