import Foundation
import ServiceKit
import TrustTradeDTO

/// The file service, as core sees it: an avatar, a portfolio photo or a chat
/// attachment must be a file the person uploaded for that purpose; a chat
/// attachment is then shared with the other side (`/internal/files`).
public struct FileDirectory: Sendable {
    let client: InternalClient
    /// `FILE_BASE_URL`: one file-service instance or a comma-separated list.
    let instances: ServiceInstances

    public init(client: InternalClient, baseURL: String) {
        self.client = client
        self.instances = ServiceInstances(baseURL)
    }

    /// Throws a 400 naming `field` unless `id` is `owner`'s live upload for one of `purposes`.
    public func verify(_ id: UUID, owner: UUID, purposes: Set<String>, field: String, requestId: String) async throws {
        let file: InternalFileDTO
        do {
            file = try await client.get("/internal/files/\(id.uuidString.lowercased())", from: instances, requestId: requestId, as: InternalFileDTO.self)
        } catch let error as InternalCallError where error.status == 404 {
            throw APIError.validation(field, "No uploaded file \(id.uuidString.lowercased())")
        } catch {
            throw APIError.unavailable("The file service cannot be reached; try again")
        }
        guard !file.deleted, file.ownerId == owner else { throw APIError.validation(field, "No uploaded file \(id.uuidString.lowercased()) of yours") }
        guard purposes.contains(file.purpose) else {
            throw APIError.validation(field, "The file was uploaded as \(file.purpose); upload it as " + purposes.sorted().joined(separator: " or "))
        }
    }

    /// Lets `users` see a private file (the other side of a chat).
    public func share(_ id: UUID, with users: [UUID], requestId: String) async throws {
        let _: InternalFileDTO = try await client.post(
            "/internal/files/\(id.uuidString.lowercased())/viewers", to: instances,
            body: GrantViewersRequest(userIds: users.map { $0.uuidString.lowercased() }), requestId: requestId)
    }
}
