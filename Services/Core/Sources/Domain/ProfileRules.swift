import Foundation
import TrustTradeDTO

/// A validated profile change: what `PUT /v1/users/me` may set.
public struct ProfileChange: Sendable, Equatable {
    public var fullName: String?
    public var phone: String??
    public var bio: String?
    public var city: String??
    public var barangay: String??
    public var language: AppLanguage?

    /// Checks every field; all problems are reported at once (400).
    public static func validate(_ request: UpdateProfileRequest) throws(ValidationFailure) -> ProfileChange {
        var v = Validator()
        var change = ProfileChange()
        if let name = request.fullName {
            let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
            v.check((2...255).contains(trimmed.count), "fullName", "Full name must be 2 to 255 characters")
            change.fullName = trimmed
        }
        if let phone = request.phone {
            if let phone {
                let normalized = PhilippinePhone.normalize(phone)
                v.check(normalized != nil, "phone", "Phone must be a Philippine mobile number (+639XXXXXXXXX or 09XXXXXXXXX)")
                change.phone = .some(normalized)
            } else {
                change.phone = .some(nil)
            }
        }
        if let bio = request.bio {
            v.check(bio.count <= 2000, "bio", "Bio must be at most 2000 characters")
            change.bio = bio.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        for (field, value, target) in [("city", request.city, \ProfileChange.city), ("barangay", request.barangay, \ProfileChange.barangay)] {
            guard let value else { continue }
            if let text = value?.trimmingCharacters(in: .whitespacesAndNewlines) {
                v.check((1...100).contains(text.count), field, "\(field == "city" ? "City" : "Barangay") must be 1 to 100 characters")
                change[keyPath: target] = .some(text)
            } else {
                change[keyPath: target] = .some(nil)
            }
        }
        if let language = request.language {
            let parsed = AppLanguage(rawValue: language)
            v.check(parsed != nil, "language", "Language must be en or fil")
            change.language = parsed
        }
        try v.validate()
        return change
    }
}

/// Philippine mobile numbers in E.164 (`+639171234567`): the shared phone
/// rule, narrowed to mobiles (a profile's number is for SMS).
public enum PhilippinePhone {
    public static func normalize(_ raw: String) -> String? {
        PhoneNumber.normalize(raw).flatMap { PhoneNumber.isPhilippineMobile($0) ? $0 : nil }
    }
}
