/// The seed's `pagination` block of list responses.
public struct Pagination: Codable, Sendable, Equatable {
    public var page: Int
    public var limit: Int
    public var total: Int
    public var totalPages: Int
    public var hasNext: Bool
    public var hasPrev: Bool

    public init(page: Int, limit: Int, total: Int) {
        self.page = page
        self.limit = limit
        self.total = total
        self.totalPages = total == 0 ? 0 : (total + limit - 1) / limit
        self.hasNext = page < self.totalPages
        self.hasPrev = page > 1
    }
}

/// `page` (from 1) and `limit` (1–100, default 20) as a list request gives them.
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 20
    public static let maxLimit = 100

    public let page: Int
    public let limit: Int
    public var offset: Int { (page - 1) * limit }

    public init(page: Int = 1, limit: Int = PageRequest.defaultLimit) {
        self.page = page
        self.limit = limit
    }

    /// Parses raw query values. Absent values take defaults; present but bad
    /// values are errors the caller turns into a 400, never silently clamped.
    public static func parse(page rawPage: String?, limit rawLimit: String?) -> Result<PageRequest, ValidationFailure> {
        var problems: [FieldError] = []
        var page = 1
        var limit = defaultLimit
        if let rawPage {
            if let p = Int(rawPage), p >= 1, p <= 1_000_000 { page = p } else {
                problems.append(FieldError(field: "page", message: "page must be a whole number from 1"))
            }
        }
        if let rawLimit {
            if let l = Int(rawLimit), (1...maxLimit).contains(l) { limit = l } else {
                problems.append(FieldError(field: "limit", message: "limit must be a whole number from 1 to \(maxLimit)"))
            }
        }
        if !problems.isEmpty { return .failure(ValidationFailure(problems)) }
        return .success(PageRequest(page: page, limit: limit))
    }
}

/// A list of field problems: the body of a 400 `VALIDATION_ERROR`.
public struct ValidationFailure: Error, Sendable, Equatable {
    public var fields: [FieldError]
    public init(_ fields: [FieldError]) { self.fields = fields }
    public var message: String {
        fields.count == 1 ? fields[0].message : "\(fields.count) fields are invalid"
    }
}

/// Collects field problems while a request is validated.
public struct Validator: Sendable {
    public private(set) var problems: [FieldError] = []
    public init() {}

    public mutating func check(_ condition: Bool, _ field: String, _ message: String) {
        if !condition { problems.append(FieldError(field: field, message: message)) }
    }

    public mutating func fail(_ field: String, _ message: String) {
        problems.append(FieldError(field: field, message: message))
    }

    public func validate() throws(ValidationFailure) {
        if !problems.isEmpty { throw ValidationFailure(problems) }
    }
}
