import Foundation
import Logging
import PostgresNIO
import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// A stored file as the service keeps it.
public struct StoredFile: Sendable, Equatable {
    public struct Variant: Codable, Sendable, Equatable {
        public var key: String
        public var contentType: String
        public var size: Int64
        public var width: Int?
        public var height: Int?
    }

    public var id: UUID
    public var ownerId: UUID
    public var purpose: FilePurpose
    public var kind: FileKind
    public var size: Int64
    public var originalName: String
    public var sha256: String
    public var width: Int?
    public var height: Int?
    public var storageKey: String
    public var variants: [String: Variant]
    public var createdAt: Date
    public var deleted: Bool

    /// original and every variant: name → (key, content type).
    public var objects: [String: (key: String, contentType: String)] {
        var all = ["original": (storageKey, kind.contentType)]
        for (name, v) in variants { all[name] = (v.key, v.contentType) }
        return all
    }
}

/// `file.files` and `file.file_viewers`.
public struct FileStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let outbox = OutboxWriter(schema: "file")

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func insert(_ f: StoredFile) async throws {
        let variants = String(decoding: try JSONEncoder().encode(f.variants), as: UTF8.self)
        try await client.query(
            """
            INSERT INTO file.files (id, owner_id, purpose, kind, content_type, size, original_name, sha256, width, height, storage_key, variants,
                created_at)
            VALUES (\(f.id), \(f.ownerId), \(f.purpose.rawValue), \(f.kind.rawValue), \(f.kind.contentType), \(f.size), \(f.originalName),
                \(f.sha256), \(f.width), \(f.height), \(f.storageKey), \(variants)::jsonb, \(f.createdAt))
            """, logger: logger)
    }

    public func find(_ id: UUID) async throws -> StoredFile? {
        let rows = try await client.query(
            """
            SELECT id, owner_id, purpose, kind, size, original_name, sha256, width, height, storage_key, variants::text, created_at,
                deleted_at IS NOT NULL
            FROM file.files WHERE id = \(id)
            """, logger: logger)
        for try await (id, owner, purpose, kind, size, name, sha, width, height, key, variants, created, deleted)
            in rows.decode((UUID, UUID, String, String, Int64, String, String, Int?, Int?, String, String, Date, Bool).self) {
            return StoredFile(
                id: id, ownerId: owner, purpose: FilePurpose(rawValue: purpose) ?? .chatAttachment, kind: FileKind(rawValue: kind) ?? .pdf,
                size: size, originalName: name, sha256: sha, width: width, height: height, storageKey: key,
                variants: (try? JSONDecoder().decode([String: StoredFile.Variant].self, from: Data(variants.utf8))) ?? [:], createdAt: created,
                deleted: deleted)
        }
        return nil
    }

    /// The owner, an admin, anyone for public purposes, or a granted viewer.
    public func mayView(_ f: StoredFile, viewer: Identity?) async throws -> Bool {
        guard !f.deleted else { return false }
        if !f.purpose.isPrivate { return true }
        guard let viewer else { return false }
        if viewer.isAdmin(orOneOf: f.ownerId) { return true }
        let rows = try await client.query(
            "SELECT 1 FROM file.file_viewers WHERE file_id = \(f.id) AND user_id = \(viewer.userId)", logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    public func grant(_ id: UUID, to users: [UUID]) async throws {
        for user in users {
            try await client.query(
                "INSERT INTO file.file_viewers (file_id, user_id) VALUES (\(id), \(user)) ON CONFLICT DO NOTHING", logger: logger)
        }
    }

    /// Marks it deleted and queues the removal of its objects, once.
    public func delete(_ f: StoredFile, requestId: String?) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            let rows = try await connection.query(
                "UPDATE file.files SET deleted_at = now() WHERE id = \(f.id) AND deleted_at IS NULL RETURNING id", logger: logger)
            var changed = false
            for try await _ in rows.decode(UUID.self) { changed = true }
            guard changed else { return false }
            try await outbox.publish(
                FileDeleted(FileObjectsRemoval(fileId: f.id, keys: f.objects.values.map(\.key).sorted())), requestId: requestId,
                on: connection, logger: logger)
            return true
        }
    }
}
