import Foundation

/// UUIDs travel in the API in lower case (RFC 4122's canonical form), the
/// same spelling as a token's `sub`, so clients can compare ids as strings.
/// Foundation would write them upper case.
@propertyWrapper
public struct LowercaseUUID: Codable, Sendable, Hashable {
    public var wrappedValue: UUID

    public init(wrappedValue: UUID) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let uuid = UUID(uuidString: raw) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Expected a UUID")
        }
        wrappedValue = uuid
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue.uuidString.lowercased())
    }
}

extension UUID {
    /// The canonical lower-case spelling.
    public var lowercased: String { uuidString.lowercased() }
}
