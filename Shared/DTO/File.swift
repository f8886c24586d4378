import Foundation

/// An uploaded file (`/v1/files`): what it is, and short-lived signed links
/// to its bytes and its image variants.
public struct FileDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var ownerId: UUID
    /// avatar, portfolio, chat_attachment, booking_attachment, id_document.
    public var purpose: String
    /// jpeg, png, pdf, docx (from the bytes).
    public var kind: String
    public var contentType: String
    public var size: Int64
    public var originalName: String
    public var sha256: String
    public var width: Int?
    public var height: Int?
    /// original, and for images large (1600 px) and thumb (400 px) as WebP.
    public var urls: [String: String]
    public var urlsExpireAt: String
    public var createdAt: String

    public init(id: UUID, ownerId: UUID, purpose: String, kind: String, contentType: String, size: Int64, originalName: String, sha256: String,
                width: Int?, height: Int?, urls: [String: String], urlsExpireAt: String, createdAt: String) {
        self.id = id
        self.ownerId = ownerId
        self.purpose = purpose
        self.kind = kind
        self.contentType = contentType
        self.size = size
        self.originalName = originalName
        self.sha256 = sha256
        self.width = width
        self.height = height
        self.urls = urls
        self.urlsExpireAt = urlsExpireAt
        self.createdAt = createdAt
    }
}

/// `GET /internal/files/:id`: what other services check before using a file id.
public struct InternalFileDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var ownerId: UUID
    public var purpose: String
    public var kind: String
    public var deleted: Bool
    public init(id: UUID, ownerId: UUID, purpose: String, kind: String, deleted: Bool) {
        self.id = id
        self.ownerId = ownerId
        self.purpose = purpose
        self.kind = kind
        self.deleted = deleted
    }
}

/// `POST /internal/files/:id/viewers`: people who may see a private file
/// (the other side of a chat or a booking).
public struct GrantViewersRequest: Codable, Sendable {
    public var userIds: [String]
    public init(userIds: [String]) { self.userIds = userIds }
}

/// Job data on the `file` queue: remove a deleted file's stored objects.
public struct FileObjectsRemoval: Codable, Sendable {
    @LowercaseUUID public var fileId: UUID
    public var keys: [String]
    public init(fileId: UUID, keys: [String]) {
        self.fileId = fileId
        self.keys = keys
    }
}

extension EventType {
    public static let fileDeleted = "file.deleted"
}

extension ErrorCode {
    /// The upload carries a virus (422).
    public static let infected: ErrorCode = "FILE_INFECTED"
    /// The virus scanner could not be reached; nothing was kept (503).
    public static let scannerUnavailable: ErrorCode = "SCANNER_UNAVAILABLE"
}
