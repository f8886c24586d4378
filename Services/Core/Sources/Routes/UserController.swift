import Foundation
import Hummingbird
import Logging
import ServiceKit
import TrustTradeDTO

/// `/v1/users`: the signed-in person's profile, and others' public view.
public struct UserController<Context: ServiceRequestContext>: Sendable {
    let profiles: ProfileService
    let files: FileDirectory

    public init(profiles: ProfileService, files: FileDirectory) {
        self.profiles = profiles
        self.files = files
    }

    public func addRoutes(to group: RouterGroup<Context>) {
        group.get("me", use: me)
        group.put("me", use: updateMe)
        group.post("avatar", use: setAvatar)
        group.get(":id", use: publicProfile)
    }

    @Sendable func me(_ request: Request, context: Context) async throws -> Envelope<ProfileDTO> {
        let identity = try context.requireIdentity()
        return Envelope(try await profiles.profile(of: identity, requestId: context.requestId))
    }

    @Sendable func updateMe(_ request: Request, context: Context) async throws -> Envelope<ProfileDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: UpdateProfileRequest.self, context: context)
        let change = try ProfileChange.validate(body)
        // Make sure the row exists (first request before the event arrived).
        _ = try await profiles.profile(of: identity, requestId: context.requestId)
        guard let updated = try await profiles.store.update(userId: identity.userId, change) else { throw APIError.notFound("No such profile") }
        return Envelope(updated)
    }

    /// `POST /v1/users/avatar` `{"fileId"}`: the picture uploaded to the file
    /// service becomes the avatar; `null` removes it.
    @Sendable func setAvatar(_ request: Request, context: Context) async throws -> Envelope<ProfileDTO> {
        let identity = try context.requireIdentity()
        let body = try await request.decodeJSON(as: AvatarRequest.self, context: context)
        var fileId: UUID?
        if let raw = body.fileId {
            guard let id = UUID(uuidString: raw) else { throw APIError.validation("fileId", "fileId must be the id of an uploaded file (a UUID)") }
            fileId = id
            try await files.verify(id, owner: identity.userId, purposes: ["avatar"], field: "fileId", requestId: context.requestId)
        }
        _ = try await profiles.profile(of: identity, requestId: context.requestId)
        guard let updated = try await profiles.store.setAvatar(userId: identity.userId, fileId: fileId) else { throw APIError.notFound("No such profile") }
        return Envelope(updated)
    }

    @Sendable func publicProfile(_ request: Request, context: Context) async throws -> Envelope<PublicProfileDTO> {
        _ = try context.requireIdentity()
        let id = try context.uuidParameter(what: "User id")
        let profile = try await profiles.profile(userId: id, requestId: context.requestId)
        return Envelope(PublicProfileDTO(
            id: profile.id, fullName: profile.fullName, userType: profile.userType, bio: profile.bio,
            city: profile.city, avatarFileId: profile.avatarFileId, memberSince: profile.createdAt))
    }
}
