import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// `auth-service grant-admin <email>`: how the first admins come to be (no
/// API makes one, so no token can). The account's next login carries
/// `userType: admin`; answers false when there is no such account.
public func grantAdmin(email: String, config: AuthConfig, logger: Logger) async throws -> Bool {
    try await Database.withClient(url: config.common.databaseURL, logger: logger) { client in
        let rows = try await client.query(
            """
            UPDATE auth.users SET user_type = 'admin', updated_at = now()
            WHERE lower(email) = lower(\(email.trimmingCharacters(in: .whitespaces))) RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }
}
