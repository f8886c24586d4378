import Foundation

/// Languages the app speaks to people in.
public enum AppLanguage: String, Codable, Sendable, CaseIterable {
    case en, fil
}

/// The signed-in person's own profile (`GET /v1/users/me`).
public struct ProfileDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var email: String
    public var fullName: String
    public var phone: String?
    public var userType: UserType
    public var bio: String
    public var city: String?
    public var barangay: String?
    public var avatarFileId: String?
    public var language: AppLanguage
    public var createdAt: String
    public var updatedAt: String

    public init(id: UUID, email: String, fullName: String, phone: String?, userType: UserType, bio: String, city: String?,
                barangay: String?, avatarFileId: String?, language: AppLanguage, createdAt: String, updatedAt: String) {
        self.id = id
        self.email = email
        self.fullName = fullName
        self.phone = phone
        self.userType = userType
        self.bio = bio
        self.city = city
        self.barangay = barangay
        self.avatarFileId = avatarFileId
        self.language = language
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What anyone may see of someone else (`GET /v1/users/:id`): no email or phone.
public struct PublicProfileDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var fullName: String
    public var userType: UserType
    public var bio: String
    public var city: String?
    public var avatarFileId: String?
    public var memberSince: String

    public init(id: UUID, fullName: String, userType: UserType, bio: String, city: String?, avatarFileId: String?, memberSince: String) {
        self.id = id
        self.fullName = fullName
        self.userType = userType
        self.bio = bio
        self.city = city
        self.avatarFileId = avatarFileId
        self.memberSince = memberSince
    }
}

/// `PUT /v1/users/me`: the fields present are changed; `null` clears an optional one.
public struct UpdateProfileRequest: Codable, Sendable {
    public var fullName: String?
    public var phone: String??
    public var bio: String?
    public var city: String??
    public var barangay: String??
    public var language: String?

    public init(fullName: String? = nil, phone: String?? = nil, bio: String? = nil, city: String?? = nil, barangay: String?? = nil, language: String? = nil) {
        self.fullName = fullName
        self.phone = phone
        self.bio = bio
        self.city = city
        self.barangay = barangay
        self.language = language
    }

    enum CodingKeys: String, CodingKey { case fullName, phone, bio, city, barangay, language }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fullName = try c.decodeIfPresent(String.self, forKey: .fullName)
        bio = try c.decodeIfPresent(String.self, forKey: .bio)
        language = try c.decodeIfPresent(String.self, forKey: .language)
        // Present-and-null means "clear it"; absent means "leave it".
        phone = c.contains(.phone) ? .some(try c.decodeIfPresent(String.self, forKey: .phone)) : nil
        city = c.contains(.city) ? .some(try c.decodeIfPresent(String.self, forKey: .city)) : nil
        barangay = c.contains(.barangay) ? .some(try c.decodeIfPresent(String.self, forKey: .barangay)) : nil
    }
}

/// A category with its children (`GET /v1/categories`).
public struct CategoryDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    public var slug: String
    public var name: String
    public var nameFil: String
    public var icon: String?
    public var children: [CategoryDTO]

    public init(id: UUID, slug: String, name: String, nameFil: String, icon: String?, children: [CategoryDTO]) {
        self.id = id
        self.slug = slug
        self.name = name
        self.nameFil = nameFil
        self.icon = icon
        self.children = children
    }
}

/// A provider (`/v1/providers`). Money in centavos: ₱1,500.00/h is `150000`.
public struct ProviderDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var userId: UUID
    @LowercaseUUID public var categoryId: UUID
    public var businessName: String
    public var description: String
    public var hourlyRate: Int64
    public var currency: String
    public var serviceAreas: [String]
    public var skills: [String]
    public var latitude: Double?
    public var longitude: Double?
    public var trustScore: Int
    public var avgRating: Double
    public var totalReviews: Int
    public var totalJobsCompleted: Int
    public var isVerified: Bool
    public var createdAt: String
    public var updatedAt: String

    public init(id: UUID, userId: UUID, categoryId: UUID, businessName: String, description: String, hourlyRate: Int64,
                serviceAreas: [String], skills: [String], latitude: Double?, longitude: Double?, trustScore: Int, avgRating: Double,
                totalReviews: Int, totalJobsCompleted: Int, isVerified: Bool, createdAt: String, updatedAt: String) {
        self.id = id
        self.userId = userId
        self.categoryId = categoryId
        self.businessName = businessName
        self.description = description
        self.hourlyRate = hourlyRate
        self.currency = "PHP"
        self.serviceAreas = serviceAreas
        self.skills = skills
        self.latitude = latitude
        self.longitude = longitude
        self.trustScore = trustScore
        self.avgRating = avgRating
        self.totalReviews = totalReviews
        self.totalJobsCompleted = totalJobsCompleted
        self.isVerified = isVerified
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `POST /v1/providers` and `PUT /v1/providers/:id` (on PUT every field is optional).
public struct ProviderRequest: Codable, Sendable {
    public var categoryId: String?
    public var businessName: String?
    public var description: String?
    public var hourlyRate: Int64?
    public var serviceAreas: [String]?
    public var skills: [String]?
    public var latitude: Double?
    public var longitude: Double?

    public init(categoryId: String? = nil, businessName: String? = nil, description: String? = nil, hourlyRate: Int64? = nil,
                serviceAreas: [String]? = nil, skills: [String]? = nil, latitude: Double? = nil, longitude: Double? = nil) {
        self.categoryId = categoryId
        self.businessName = businessName
        self.description = description
        self.hourlyRate = hourlyRate
        self.serviceAreas = serviceAreas
        self.skills = skills
        self.latitude = latitude
        self.longitude = longitude
    }
}

/// A review of a completed booking (`/v1/reviews`).
public struct ReviewDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var bookingId: UUID
    @LowercaseUUID public var reviewerId: UUID
    public var reviewerName: String
    @LowercaseUUID public var providerId: UUID
    public var rating: Int
    public var title: String
    public var content: String
    /// The provider's one answer.
    public var response: String?
    public var respondedAt: String?
    /// Written by the consumer of a completed booking.
    public var isVerified: Bool
    /// The reviewer can change it until then.
    public var editableUntil: String
    public var createdAt: String
    public var updatedAt: String

    public init(id: UUID, bookingId: UUID, reviewerId: UUID, reviewerName: String, providerId: UUID, rating: Int, title: String, content: String,
                response: String?, respondedAt: String?, isVerified: Bool, editableUntil: String, createdAt: String, updatedAt: String) {
        self.id = id
        self.bookingId = bookingId
        self.reviewerId = reviewerId
        self.reviewerName = reviewerName
        self.providerId = providerId
        self.rating = rating
        self.title = title
        self.content = content
        self.response = response
        self.respondedAt = respondedAt
        self.isVerified = isVerified
        self.editableUntil = editableUntil
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `POST /v1/reviews` (bookingId, rating, title, content) and
/// `PUT /v1/reviews/:id` (the reviewer: rating, title, content; the
/// provider: response).
public struct ReviewRequest: Codable, Sendable {
    public var bookingId: String?
    public var rating: Int?
    public var title: String?
    public var content: String?
    public var response: String?

    public init(bookingId: String? = nil, rating: Int? = nil, title: String? = nil, content: String? = nil, response: String? = nil) {
        self.bookingId = bookingId
        self.rating = rating
        self.title = title
        self.content = content
        self.response = response
    }
}

/// The payload of `review.created` / `review.updated` / `review.deleted`
/// (the `ai` queue: sentiment and trust score).
public struct ReviewEvent: Codable, Sendable {
    public var review: ReviewDTO
    public init(review: ReviewDTO) { self.review = review }
}

extension EventType {
    public static let reviewCreated = "review.created"
    public static let reviewUpdated = "review.updated"
    public static let reviewDeleted = "review.deleted"
}

/// One provider in search results: the provider's fields, plus how far away
/// it is when the search had a centre.
public struct ProviderSearchHit: Codable, Sendable, Equatable {
    public var provider: ProviderDTO
    public var distanceKm: Double?

    public init(provider: ProviderDTO, distanceKm: Double?) {
        self.provider = provider
        self.distanceKm = distanceKm
    }

    enum CodingKeys: String, CodingKey { case distanceKm }

    public init(from decoder: any Decoder) throws {
        provider = try ProviderDTO(from: decoder)
        distanceKm = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Double.self, forKey: .distanceKm)
    }

    public func encode(to encoder: any Encoder) throws {
        try provider.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(distanceKm, forKey: .distanceKm)
    }
}

/// `POST /v1/users/avatar`: the id of a picture uploaded to the file service
/// (`null` removes the avatar).
public struct AvatarRequest: Codable, Sendable {
    public var fileId: String?
    public init(fileId: String?) { self.fileId = fileId }
}

/// A piece of a provider's portfolio (`/v1/providers/:id/portfolio`): a past
/// job with its photos (file ids from the file service).
public struct PortfolioItemDTO: Codable, Sendable, Equatable {
    @LowercaseUUID public var id: UUID
    @LowercaseUUID public var providerId: UUID
    public var title: String
    public var description: String
    public var fileIds: [String]
    public var createdAt: String

    public init(id: UUID, providerId: UUID, title: String, description: String, fileIds: [String], createdAt: String) {
        self.id = id
        self.providerId = providerId
        self.title = title
        self.description = description
        self.fileIds = fileIds
        self.createdAt = createdAt
    }
}

/// `POST /v1/providers/:id/portfolio`.
public struct PortfolioItemRequest: Codable, Sendable {
    public var title: String?
    public var description: String?
    public var fileIds: [String]?
    public init(title: String? = nil, description: String? = nil, fileIds: [String]? = nil) {
        self.title = title
        self.description = description
        self.fileIds = fileIds
    }
}

/// A provider profile changed (core → ai): the profile and the names of its
/// category and the category's ancestors, for matching.
public struct ProviderEvent: Codable, Sendable {
    public var provider: ProviderDTO
    public var categoryNames: [String]
    public var deleted: Bool
    public init(provider: ProviderDTO, categoryNames: [String], deleted: Bool) {
        self.provider = provider
        self.categoryNames = categoryNames
        self.deleted = deleted
    }
}

/// A provider's new trust score (ai → core), 0–1000.
public struct TrustScoreChanged: Codable, Sendable {
    @LowercaseUUID public var providerId: UUID
    @LowercaseUUID public var userId: UUID
    public var score: Int
    public init(providerId: UUID, userId: UUID, score: Int) {
        self.providerId = providerId
        self.userId = userId
        self.score = score
    }
}

extension EventType {
    public static let providerChanged = "provider.changed"
    public static let providerDeleted = "provider.deleted"
    public static let trustScoreChanged = "trust-score.changed"
}
