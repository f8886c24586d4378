import Foundation
import Hummingbird
import JWTKit
import ServiceKit

/// Google service-account credentials as the JSON key file holds them.
public struct ServiceAccount: Codable, Sendable {
    public var type: String?
    public var projectId: String
    public var privateKeyId: String?
    public var privateKey: String
    public var clientEmail: String
    public var tokenUri: String

    enum CodingKeys: String, CodingKey {
        case type
        case projectId = "project_id"
        case privateKeyId = "private_key_id"
        case privateKey = "private_key"
        case clientEmail = "client_email"
        case tokenUri = "token_uri"
    }

    public init(projectId: String, privateKeyId: String?, privateKey: String, clientEmail: String, tokenUri: String) {
        self.type = "service_account"
        self.projectId = projectId
        self.privateKeyId = privateKeyId
        self.privateKey = privateKey
        self.clientEmail = clientEmail
        self.tokenUri = tokenUri
    }
}

/// The two Google endpoints an FCM HTTP v1 sender talks to: the OAuth token
/// endpoint (JWT-bearer grant signed RS256 with the service account's key)
/// and `POST /v1/projects/{project}/messages:send`. Device tokens starting
/// with `unregistered` answer 404 UNREGISTERED, as FCM does for an app that
/// was uninstalled.
actor FCMStandIn {
    let account: ServiceAccount?
    private var accessTokens: [String: Date] = [:]

    init(account: ServiceAccount?) { self.account = account }

    struct GrantClaims: JWTPayload {
        var iss: IssuerClaim
        var scope: String
        var aud: AudienceClaim
        var iat: IssuedAtClaim
        var exp: ExpirationClaim
        func verify(using algorithm: some JWTAlgorithm) async throws { try exp.verifyNotExpired() }
    }

    enum GrantError: Error { case notConfigured, invalid(String) }

    func grant(assertion: String, tokenURL: String) async throws(GrantError) -> String {
        guard let account else { throw .notConfigured }
        let keys = JWTKeyCollection()
        guard let key = try? Insecure.RSA.PrivateKey(pem: account.privateKey) else { throw .notConfigured }
        await keys.add(rsa: key.publicKey, digestAlgorithm: .sha256)
        guard let claims = try? await keys.verify(assertion, as: GrantClaims.self) else { throw .invalid("Invalid JWT Signature.") }
        guard claims.iss.value == account.clientEmail else { throw .invalid("Invalid issuer") }
        guard claims.scope.split(separator: " ").contains("https://www.googleapis.com/auth/firebase.messaging") else { throw .invalid("Invalid scope") }
        // The audience is this token endpoint, under whatever address it was reached.
        guard claims.aud.value.contains(where: { $0 == tokenURL || $0 == account.tokenUri || $0.hasSuffix("/fcm/token") }) else {
            throw .invalid("Invalid audience")
        }
        guard claims.exp.value.timeIntervalSince(claims.iat.value) <= 3600 else { throw .invalid("Token lifetime too long") }
        let token = "ya29.standin-" + UUID().uuidString.lowercased()
        accessTokens[token] = Date().addingTimeInterval(3600)
        return token
    }

    func isValid(accessToken: String) -> Bool {
        guard let expiry = accessTokens[accessToken] else { return false }
        return expiry > Date()
    }
}

struct FCMRoutes {
    let standIn: FCMStandIn
    let messages: DeliveredMessages
    let publicBaseURL: String

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("fcm/token", use: token)
        router.post("fcm/v1/projects/:project/messages:send", use: send)
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return Response(status: status, headers: [.contentType: "application/json; charset=UTF-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func fcmError(_ code: Int, _ status: String, _ message: String, errorCode: String? = nil) -> Response {
        var error: [String: Any] = ["code": code, "message": message, "status": status]
        if let errorCode {
            error["details"] = [["@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": errorCode]]
        }
        return json(HTTPResponse.Status(code: code), ["error": error])
    }

    struct TokenForm: Decodable {
        var grant_type: String?
        var assertion: String?
    }

    @Sendable func token(_ request: Request, context: AppRequestContext) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        let form = (try? URLEncodedFormDecoder().decode(TokenForm.self, from: String(buffer: buffer))) ?? TokenForm()
        guard form.grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer", let assertion = form.assertion else {
            return Self.json(.badRequest, ["error": "unsupported_grant_type", "error_description": "Invalid grant_type"])
        }
        do {
            let token = try await standIn.grant(assertion: assertion, tokenURL: "\(publicBaseURL)/fcm/token")
            return Self.json(.ok, ["access_token": token, "expires_in": 3599, "token_type": "Bearer"])
        } catch .notConfigured {
            return Self.json(.badRequest, ["error": "invalid_client", "error_description": "No service account is configured in the stand-in"])
        } catch .invalid(let why) {
            return Self.json(.badRequest, ["error": "invalid_grant", "error_description": why])
        }
    }

    struct SendBody: Decodable {
        struct Message: Decodable {
            struct Notification: Decodable { var title: String?; var body: String? }
            var token: String?
            var notification: Notification?
            var data: [String: String]?
        }
        var message: Message
    }

    @Sendable func send(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer "), await standIn.isValid(accessToken: String(auth.dropFirst(7))) else {
            return Self.fcmError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        }
        let buffer = try await request.body.collect(upTo: 1 << 20)
        guard let body = try? JSONDecoder().decode(SendBody.self, from: buffer), let token = body.message.token, !token.isEmpty else {
            return Self.fcmError(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", errorCode: "INVALID_ARGUMENT")
        }
        if token.hasPrefix("unregistered") {
            return Self.fcmError(404, "NOT_FOUND", "Requested entity was not found.", errorCode: "UNREGISTERED")
        }
        if token.contains("throttle"), await messages.throttleOnce("push:\(token)") {
            return Self.fcmError(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", errorCode: "QUOTA_EXCEEDED")
        }
        let project = context.parameters.get("project") ?? "unknown"
        let id = await messages.nextId("fcm")
        await messages.record(DeliveredMessages.Push(
            id: id, token: token, title: body.message.notification?.title, body: body.message.notification?.body,
            data: body.message.data, receivedAt: Date()
        ))
        return Self.json(.ok, ["name": "projects/\(project)/messages/\(id)"])
    }
}
