import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore

public struct PushMessage: Sendable, Equatable {
    public var token: String
    public var title: String
    public var body: String
    public var data: [String: String]
}

public protocol PushSending: Sendable {
    func send(_ message: PushMessage) async throws(DeliveryError) -> String
}

/// A Google service account's key file (the fields FCM's OAuth needs).
public struct ServiceAccountKey: Decodable, Sendable {
    public var projectId: String
    public var privateKey: String
    public var clientEmail: String
    public var tokenUri: String
    enum CodingKeys: String, CodingKey {
        case projectId = "project_id", privateKey = "private_key", clientEmail = "client_email", tokenUri = "token_uri"
    }
}

/// FCM HTTP v1: a JWT signed RS256 with the service account's key is traded
/// at its `token_uri` for an OAuth access token (cached until shortly before
/// it expires), then `POST /v1/projects/{project}/messages:send`.
public actor FCMPushSender: PushSending {
    let http: ProviderHTTP
    let account: ServiceAccountKey
    let baseURL: String
    let signer: JWTKeyCollection
    private var cached: (token: String, expires: Date)?

    public init(client: HTTPClient, account: ServiceAccountKey, baseURL: String) async throws {
        self.http = ProviderHTTP(client: client, name: "FCM")
        self.account = account
        self.baseURL = baseURL
        let keys = JWTKeyCollection()
        await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: account.privateKey), digestAlgorithm: .sha256)
        self.signer = keys
    }

    struct Grant: JWTPayload {
        var iss: IssuerClaim
        var scope: String
        var aud: AudienceClaim
        var iat: IssuedAtClaim
        var exp: ExpirationClaim
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    func accessToken() async throws(DeliveryError) -> String {
        if let cached, cached.expires > Date().addingTimeInterval(60) { return cached.token }
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let grant = Grant(
            iss: IssuerClaim(value: account.clientEmail), scope: "https://www.googleapis.com/auth/firebase.messaging",
            aud: AudienceClaim(value: account.tokenUri), iat: IssuedAtClaim(value: now), exp: ExpirationClaim(value: now.addingTimeInterval(3600))
        )
        let assertion: String
        do { assertion = try await signer.sign(grant) } catch { throw .permanent("service account key cannot sign: \(error)") }
        var request = HTTPClientRequest(url: account.tokenUri)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)"))
        let (_, _, body) = try await http.send(request)
        guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
              let token = json["access_token"] as? String
        else { throw .retryable("FCM token endpoint answered without a token") }
        let expiresIn = (json["expires_in"] as? Int) ?? 3600
        cached = (token, Date().addingTimeInterval(TimeInterval(expiresIn)))
        return token
    }

    public func send(_ message: PushMessage) async throws(DeliveryError) -> String {
        let token = try await accessToken()
        let payload: [String: Any] = ["message": [
            "token": message.token,
            "notification": ["title": message.title, "body": message.body],
            "data": message.data,
        ]]
        var request = HTTPClientRequest(url: "\(baseURL)/v1/projects/\(account.projectId)/messages:send")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: payload)) ?? Data()))
        do {
            let (_, _, body) = try await http.send(request)
            let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]
            return json?["name"] as? String ?? ""
        } catch .permanent(let why) where why.contains("UNREGISTERED") {
            throw .unregistered
        } catch .permanent(let why) where why.contains(" 401") {
            cached = nil
            throw .retryable(why)
        }
    }
}
