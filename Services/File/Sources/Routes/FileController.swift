import Foundation
import HTTPTypes
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/files`: upload, metadata with signed links, the bytes behind a
/// signed link, delete; `/internal/files` for other services.
public struct FileController<Context: ServiceRequestContext>: Sendable {
    let uploads: Uploads
    let store: FileStore
    let storage: BlobStorage
    let signer: URLSigner
    let publicBaseURL: String
    let linkLifetime: Int64

    public init(uploads: Uploads, store: FileStore, storage: BlobStorage, signer: URLSigner, publicBaseURL: String, linkLifetime: Int64) {
        self.uploads = uploads
        self.store = store
        self.storage = storage
        self.signer = signer
        self.publicBaseURL = publicBaseURL
        self.linkLifetime = linkLifetime
    }

    /// `signedIn` requires a token; `open` reads one when sent (links carry their own signature).
    public func addRoutes(signedIn: RouterGroup<Context>, open: RouterGroup<Context>, service: RouterGroup<Context>) {
        signedIn.post("upload", use: upload)
        signedIn.delete(":id", use: delete)
        open.get(":id", use: show)
        open.get(":id/content", use: content)
        service.get(":id", use: internalShow)
        service.post(":id/viewers", use: grant)
    }

    @Sendable func upload(_ request: Request, context: Context) async throws -> Envelope<FileDTO> {
        let identity = try context.requireIdentity()
        let stored = try await uploads.receive(request, owner: identity.userId)
        return Envelope(dto(stored), status: .created)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Envelope<FileDTO> {
        let id = try context.uuidParameter(what: "File id")
        guard let f = try await store.find(id), try await store.mayView(f, viewer: context.identity) else {
            throw APIError.notFound("No such file")
        }
        return Envelope(dto(f))
    }

    /// The bytes behind a signed link: 403 when tampered or expired; cache
    /// headers for a CDN (public purposes may be cached by it, private ones not).
    @Sendable func content(_ request: Request, context: Context) async throws -> Response {
        let id = try context.uuidParameter(what: "File id")
        let query = request.uri.queryParameters
        let variant = query.get("variant") ?? "original"
        guard let expires = query.get("expires").flatMap(Int64.init), let signature = query.get("signature") else {
            throw APIError.forbidden("This link is not signed")
        }
        let now = Int64(Date().timeIntervalSince1970)
        try signer.check(id: id, variant: variant, expires: expires, signature: signature, now: now)
        guard let f = try await store.find(id), !f.deleted, let object = f.objects[variant],
              let (body, size) = try await storage.body(key: object.key, context: context)
        else { throw APIError.notFound("No such file") }
        let maxAge = max(0, expires - now)
        var headers: HTTPFields = [
            .contentType: object.contentType, .contentLength: String(size), .eTag: "\"\(f.sha256)-\(variant)\"",
            .cacheControl: f.purpose.isPrivate ? "private, max-age=\(maxAge)" : "public, max-age=\(maxAge), immutable",
        ]
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        if !f.kind.isImage || variant == "original" && !f.kind.isImage {
            headers[.contentDisposition] = "attachment; filename=\"\(f.originalName.replacingOccurrences(of: "\"", with: ""))\""
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    @Sendable func delete(_ request: Request, context: Context) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter(what: "File id")
        guard let f = try await store.find(id), !f.deleted, try await store.mayView(f, viewer: identity) else {
            throw APIError.notFound("No such file")
        }
        try identity.requireAdmin(orOneOf: f.ownerId, message: "Only the owner or an admin deletes a file")
        _ = try await store.delete(f, requestId: context.requestId)
        return Response(status: .noContent)
    }

    @Sendable func internalShow(_ request: Request, context: Context) async throws -> Envelope<InternalFileDTO> {
        guard let f = try await store.find(try context.uuidParameter(what: "File id")) else { throw APIError.notFound("No such file") }
        return Envelope(InternalFileDTO(id: f.id, ownerId: f.ownerId, purpose: f.purpose.rawValue, kind: f.kind.rawValue, deleted: f.deleted))
    }

    @Sendable func grant(_ request: Request, context: Context) async throws -> Envelope<InternalFileDTO> {
        let id = try context.uuidParameter(what: "File id")
        let body = try await request.decodeJSON(as: GrantViewersRequest.self, context: context)
        let users = body.userIds.compactMap(UUID.init(uuidString:))
        guard users.count == body.userIds.count, !users.isEmpty, users.count <= 20 else {
            throw APIError.validation("userIds", "userIds are 1 to 20 user ids (UUIDs)")
        }
        guard let f = try await store.find(id), !f.deleted else { throw APIError.notFound("No such file") }
        try await store.grant(id, to: users)
        return Envelope(InternalFileDTO(id: f.id, ownerId: f.ownerId, purpose: f.purpose.rawValue, kind: f.kind.rawValue, deleted: f.deleted))
    }

    func dto(_ f: StoredFile) -> FileDTO {
        let expires = Int64(Date().timeIntervalSince1970) + linkLifetime
        var urls: [String: String] = [:]
        for name in f.objects.keys { urls[name] = publicBaseURL + signer.path(id: f.id, variant: name, expires: expires) }
        return FileDTO(id: f.id, ownerId: f.ownerId, purpose: f.purpose.rawValue, kind: f.kind.rawValue, contentType: f.kind.contentType, size: f.size,
                       originalName: f.originalName, sha256: f.sha256, width: f.width, height: f.height, urls: urls,
                       urlsExpireAt: ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(expires))), createdAt: ISO8601.string(from: f.createdAt))
    }
}
