import ArgumentParser
import Crypto
import Foundation
import Hummingbird
import JWTKit
import ServiceKit
import TrustTradeDTO

/// Pieces for `make bench-gateway` (scripts/bench-gateway.sh): the small
/// upstream that nginx and the gateway both sit in front of, and an access
/// token signed by that upstream's key (it also serves the JWKS).
@main
struct GatewayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-bench",
        subcommands: [Upstream.self, Token.self]
    )
}

/// Ed25519 key kept in a file so the upstream and `token` agree.
func loadOrCreateKey(_ path: String) throws -> Curve25519.Signing.PrivateKey {
    if let data = FileManager.default.contents(atPath: path), let raw = Data(base64Encoded: data) {
        return try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }
    let key = Curve25519.Signing.PrivateKey()
    try key.rawRepresentation.base64EncodedString().write(toFile: path, atomically: true, encoding: .utf8)
    return key
}

let benchKid = "bench-1"

struct Upstream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve a small JSON answer on every path, and the JWKS.")

    @Option var port: Int = 9901
    @Option(name: .customLong("key-file")) var keyFile: String

    func run() async throws {
        let key = try loadOrCreateKey(keyFile)
        let jwks = #"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","use":"sig","kid":"\#(benchKid)","x":"\#(Base64URL.encode(key.publicKey.rawRepresentation))"}]}"#
        let profile = #"{"success":true,"data":{"id":"7d0f6c1e-6c55-4a43-9d2b-2f1f0c7a1b11","fullName":"Maria Santos","userType":"consumer","city":"Quezon City"},"meta":{"requestId":"bench"}}"#
        let router = Router()
        router.get("/health") { _, _ in "ok" }
        // One catch-all: Hummingbird's trie does not backtrack from /v1/auth to `**`.
        router.get("**") { request, _ in
            let body = request.uri.path == "/v1/auth/.well-known/jwks.json" ? jwks : profile
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "bench-upstream"))
        try await app.runService()
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print an access token signed with the upstream's key.")

    @Option(name: .customLong("key-file")) var keyFile: String
    @Option var session: String
    @Option var issuer: String = "https://api.trusttrade.ph"
    @Option var audience: String = "trusttrade-api"

    func run() async throws {
        let key = try loadOrCreateKey(keyFile)
        let keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: benchKid))
        let identity = Identity(userId: UUID(), email: "bench@trusttrade.ph", userType: .consumer, sessionId: session)
        let claims = AccessTokenClaims(identity: identity, issuer: issuer, audience: audience, issuedAt: Date(), expiresAt: Date().addingTimeInterval(3600))
        print(try await keys.sign(claims, kid: JWKIdentifier(string: benchKid)))
    }
}
