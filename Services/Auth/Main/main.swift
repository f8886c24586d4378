import AuthService
import Foundation
import ServiceKit

let config = try AuthConfig()
ServiceRuntime.bootstrapLogging(level: config.common.logLevel)
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "grant-admin" {
    // An operator's one-off command, against the same DATABASE_URL.
    guard arguments.count == 2 else {
        FileHandle.standardError.write(Data("usage: auth-service grant-admin <email>\n".utf8))
        exit(2)
    }
    let granted = try await grantAdmin(email: arguments[1], config: config, logger: ServiceRuntime.logger("auth-service", level: "error"))
    print(granted ? "\(arguments[1]) is an admin from their next login" : "no account with the email \(arguments[1])")
    exit(granted ? 0 : 1)
}
let app = try await buildApplication(config: config)
try await app.runService()
