import ServiceKit

// How the file service's domain failures answer a client (the error
// middleware renders them); handlers let them propagate.

extension URLSigner.Refusal: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .expired: .forbidden("This link has expired")
        case .badSignature: .forbidden("This link's signature does not match")
        }
    }
}
