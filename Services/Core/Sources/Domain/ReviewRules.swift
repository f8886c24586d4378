import Foundation
import TrustTradeDTO

/// A validated review or change of one.
public struct ReviewFields: Sendable, Equatable {
    public var bookingId: UUID?
    public var rating: Int?
    public var title: String?
    public var content: String?
    public var response: String?

    /// How long a reviewer may change what they wrote.
    public static let editWindow: TimeInterval = 7 * 86_400

    public static func validate(_ r: ReviewRequest, creating: Bool) throws(ValidationFailure) -> ReviewFields {
        var v = Validator()
        var f = ReviewFields()
        if creating {
            if let raw = r.bookingId {
                f.bookingId = UUID(uuidString: raw)
                v.check(f.bookingId != nil, "bookingId", "Booking id must be a UUID")
            } else {
                v.fail("bookingId", "Booking is required")
            }
            v.check(r.response == nil, "response", "Only the provider responds to a review")
        } else {
            v.check(r.bookingId == nil, "bookingId", "A review's booking cannot change")
        }
        if let rating = r.rating {
            v.check((1...5).contains(rating), "rating", "Rating must be 1 to 5")
            f.rating = rating
        } else if creating {
            v.fail("rating", "Rating (1 to 5) is required")
        }
        if let title = r.title?.trimmingCharacters(in: .whitespacesAndNewlines) {
            v.check((1...255).contains(title.count), "title", "Title must be 1 to 255 characters")
            f.title = title
        } else if creating {
            v.fail("title", "Title is required")
        }
        if let content = r.content?.trimmingCharacters(in: .whitespacesAndNewlines) {
            v.check(content.count <= 5000, "content", "Review must be at most 5000 characters")
            f.content = content
        }
        if let response = r.response?.trimmingCharacters(in: .whitespacesAndNewlines) {
            v.check((1...2000).contains(response.count), "response", "Response must be 1 to 2000 characters")
            f.response = response
        }
        if !creating {
            let changesReview = f.rating != nil || f.title != nil || f.content != nil
            v.check(changesReview || f.response != nil, "body", "Nothing to change")
            v.check(!(changesReview && f.response != nil), "response", "A response is sent on its own")
        }
        try v.validate()
        return f
    }
}

/// Who may do what to a review. Pure.
public enum ReviewPolicy {
    public enum Verdict: Equatable, Sendable { case allowed, forbidden(String), conflict(String) }

    public static func mayEdit(isReviewer: Bool, createdAt: Date, now: Date) -> Verdict {
        guard isReviewer else { return .forbidden("Only the reviewer can change a review") }
        guard now.timeIntervalSince(createdAt) <= ReviewFields.editWindow else {
            return .conflict("A review can be changed for 7 days after it is written")
        }
        return .allowed
    }

    public static func mayRespond(isProvider: Bool, alreadyResponded: Bool) -> Verdict {
        guard isProvider else { return .forbidden("Only the reviewed provider can respond") }
        guard !alreadyResponded else { return .conflict("The provider has already responded to this review") }
        return .allowed
    }
}
