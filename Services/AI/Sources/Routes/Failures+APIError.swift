import ServiceKit

// How the AI service's domain failures answer a client (the error
// middleware renders them); handlers let them propagate.

extension ModerationStore.Failure: APIErrorConvertible {
    public var apiError: APIError {
        switch self {
        case .notFound: .notFound("No such item")
        case .decided(let status): .conflict("This item is already \(status)")
        }
    }
}
