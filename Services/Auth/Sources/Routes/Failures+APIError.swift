import ServiceKit

// How the auth service's domain failures answer a client (the error
// middleware renders them); handlers let them propagate.

extension UserStore.InsertError: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .emailTaken: .conflict("An account with this email already exists", code: .emailTaken)
        }
    }
}
