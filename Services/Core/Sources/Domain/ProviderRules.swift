import Foundation
import TrustTradeDTO

/// A validated provider create or change. On create every required field is
/// present; on update only the fields to change are.
public struct ProviderFields: Sendable, Equatable {
    public var categoryId: UUID?
    public var businessName: String?
    public var description: String?
    public var hourlyRate: Int64?
    public var serviceAreas: [String]?
    public var skills: [String]?
    public var location: GeoPoint?

    public struct GeoPoint: Sendable, Equatable {
        public var latitude: Double
        public var longitude: Double
    }

    /// ₱100,000.00 an hour: above this a rate is a typo, not a price.
    public static let maxHourlyRate: Int64 = 10_000_000

    public static func validate(_ r: ProviderRequest, creating: Bool) throws(ValidationFailure) -> ProviderFields {
        var v = Validator()
        var f = ProviderFields()
        if let raw = r.categoryId {
            f.categoryId = UUID(uuidString: raw)
            v.check(f.categoryId != nil, "categoryId", "Category id must be a UUID")
        } else if creating {
            v.fail("categoryId", "Category is required")
        }
        if let name = r.businessName?.trimmingCharacters(in: .whitespacesAndNewlines) {
            v.check((2...255).contains(name.count), "businessName", "Business name must be 2 to 255 characters")
            f.businessName = name
        } else if creating {
            v.fail("businessName", "Business name is required")
        }
        if let text = r.description {
            v.check(text.count <= 5000, "description", "Description must be at most 5000 characters")
            f.description = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let rate = r.hourlyRate {
            v.check((0...maxHourlyRate).contains(rate), "hourlyRate", "Hourly rate is in centavos, from 0 to \(maxHourlyRate)")
            f.hourlyRate = rate
        } else if creating {
            v.fail("hourlyRate", "Hourly rate (centavos) is required")
        }
        if let areas = r.serviceAreas {
            let cleaned = areas.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            v.check((1...20).contains(cleaned.count), "serviceAreas", "Give 1 to 20 service areas (cities or barangays)")
            v.check(cleaned.allSatisfy { (2...100).contains($0.count) }, "serviceAreas", "Each service area must be 2 to 100 characters")
            f.serviceAreas = cleaned
        } else if creating {
            v.fail("serviceAreas", "At least one service area is required")
        }
        if let skills = r.skills {
            let cleaned = skills.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            v.check(cleaned.count <= 30, "skills", "At most 30 skills")
            v.check(cleaned.allSatisfy { (1...50).contains($0.count) }, "skills", "Each skill must be 1 to 50 characters")
            f.skills = cleaned
        }
        switch (r.latitude, r.longitude) {
        case (nil, nil): break
        case (let lat?, let lng?):
            // The Philippines: about 4°–22° N, 116°–127° E.
            v.check((4.0...22.0).contains(lat) && (116.0...127.0).contains(lng), "latitude", "Location must be in the Philippines")
            f.location = GeoPoint(latitude: lat, longitude: lng)
        default:
            v.fail("latitude", "Give both latitude and longitude, or neither")
        }
        try v.validate()
        return f
    }
}

/// A validated portfolio item. Pure.
public struct PortfolioFields: Sendable, Equatable {
    public var title: String
    public var description: String
    public var fileIds: [UUID]

    /// A provider shows at most this many past jobs.
    public static let maxItems = 50

    public static func validate(_ r: PortfolioItemRequest) throws(ValidationFailure) -> PortfolioFields {
        var v = Validator()
        let title = (r.title ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        v.check((2...120).contains(title.count), "title", "Title must be 2 to 120 characters")
        let description = (r.description ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        v.check(description.count <= 2000, "description", "Description must be at most 2000 characters")
        let raw = r.fileIds ?? []
        let ids = raw.compactMap(UUID.init(uuidString:))
        v.check((1...10).contains(raw.count), "fileIds", "Give 1 to 10 photos (file ids of uploaded pictures)")
        v.check(ids.count == raw.count, "fileIds", "Each file id must be the id of an uploaded file (a UUID)")
        try v.validate()
        return PortfolioFields(title: title, description: description, fileIds: ids)
    }
}
