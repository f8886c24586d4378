import CoreService
import Foundation
import TrustTradeDTO
import XCTest

final class ProfileRulesTests: XCTestCase {
    func testPhilippineMobileNumbersAreNormalized() {
        XCTAssertEqual(PhilippinePhone.normalize("09171234567"), "+639171234567")
        XCTAssertEqual(PhilippinePhone.normalize("+63 917 123 4567"), "+639171234567")
        XCTAssertEqual(PhilippinePhone.normalize("639171234567"), "+639171234567")
        XCTAssertNil(PhilippinePhone.normalize("0281234567"), "a Manila landline is not a mobile number")
        XCTAssertNil(PhilippinePhone.normalize("12345"))
    }

    func testAllProblemsAreReportedTogether() {
        let request = UpdateProfileRequest(fullName: "J", phone: .some("555"), city: .some(""), language: "es")
        do {
            _ = try ProfileChange.validate(request)
            XCTFail("must be refused")
        } catch {
            XCTAssertEqual(Set(error.fields.map(\.field)), ["fullName", "phone", "city", "language"])
        }
    }

    func testNullClearsAndAbsentKeeps() throws {
        let json = #"{"phone": null, "city": "Makati City", "bio": "  Aircon cleaning since 2010  "}"#
        let request = try JSONDecoder().decode(UpdateProfileRequest.self, from: Data(json.utf8))
        let change = try ProfileChange.validate(request)
        XCTAssertEqual(change.phone, .some(nil))
        XCTAssertEqual(change.city, .some("Makati City"))
        XCTAssertNil(change.barangay)
        XCTAssertNil(change.fullName)
        XCTAssertEqual(change.bio, "Aircon cleaning since 2010")
    }

    func testCategoryTreeNestsAndOrders() {
        let home = UUID(), lessons = UUID()
        let rows = [
            CategoryRow(id: UUID(), parentId: home, slug: "plumbing", name: "Plumbing", nameFil: "Tubero", icon: nil, sortOrder: 2),
            CategoryRow(id: lessons, parentId: nil, slug: "lessons", name: "Lessons", nameFil: "Mga Aralin", icon: nil, sortOrder: 2),
            CategoryRow(id: home, parentId: nil, slug: "home-services", name: "Home Services", nameFil: "Serbisyo sa Bahay", icon: "home", sortOrder: 1),
            CategoryRow(id: UUID(), parentId: home, slug: "aircon-cleaning", name: "Aircon Cleaning", nameFil: "Paglilinis ng Aircon", icon: nil, sortOrder: 1),
            CategoryRow(id: UUID(), parentId: UUID(), slug: "orphan", name: "Orphan", nameFil: "Ulila", icon: nil, sortOrder: 1),
        ]
        let tree = CategoryTree.build(rows)
        XCTAssertEqual(tree.map(\.slug), ["home-services", "lessons"])
        XCTAssertEqual(tree[0].children.map(\.slug), ["aircon-cleaning", "plumbing"])
    }
}
