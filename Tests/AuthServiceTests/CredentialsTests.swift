import AuthService
import TrustTradeDTO
import XCTest

final class CredentialsTests: XCTestCase {
    func testPhilippineNumbersBecomeE164() {
        for raw in ["09171234567", "0917 123 4567", "+63 917 123 4567", "639171234567", "9171234567", "(0917) 123-4567"] {
            XCTAssertEqual(Credentials.normalizePhone(raw), "+639171234567", raw)
        }
        XCTAssertEqual(Credentials.normalizePhone("(02) 8123 4567"), "+63281234567")
        XCTAssertEqual(Credentials.normalizePhone("+82 10 1234 5678"), "+821012345678")
        for bad in ["12345", "0917123456", "+63 8171234567890", "0917-ABC-4567", "", "+0123456789"] {
            XCTAssertNil(Credentials.normalizePhone(bad), bad)
        }
    }

    func testEmailsAreNormalizedAndChecked() {
        XCTAssertEqual(Credentials.normalizeEmail("  Juan.DelaCruz@Example.PH "), "juan.delacruz@example.ph")
        XCTAssertEqual(Credentials.normalizeEmail("ana+tutor@gmail.com"), "ana+tutor@gmail.com")
        for bad in ["juan", "juan@", "@example.ph", "juan@@example.ph", "juan@example", "ju an@example.ph", "juan..x@example.ph", "juan@-example.ph", "juan@example.p1"] {
            XCTAssertNil(Credentials.normalizeEmail(bad), bad)
        }
    }

    func testPasswordPolicy() {
        XCTAssertEqual(Credentials.passwordProblems("Sampaguita#2026", email: "maria@example.ph"), [])
        XCTAssertFalse(Credentials.passwordProblems("Ab1!", email: nil).isEmpty)
        XCTAssertFalse(Credentials.passwordProblems("onlyletters", email: nil).isEmpty)
        XCTAssertFalse(Credentials.passwordProblems("Password123", email: nil).isEmpty)
        XCTAssertFalse(Credentials.passwordProblems("maria.santos99", email: "maria.santos@example.ph").isEmpty)
        XCTAssertFalse(Credentials.passwordProblems(String(repeating: "ñ1", count: 40), email: nil).isEmpty, "over 72 bytes")
        XCTAssertFalse(Credentials.passwordProblems("Sampaguita\u{0}#2026", email: nil).isEmpty, "bcrypt would stop at the NUL")
    }

    func testRegistrationReportsEveryProblemAtOnce() {
        do {
            _ = try Registration.validate(RegisterRequest(email: "bad", password: "x", fullName: " ", phone: "1", userType: "admin"))
            XCTFail("should not validate")
        } catch {
            XCTAssertEqual(Set(error.fields.map(\.field)), ["email", "password", "fullName", "phone", "userType"])
        }
    }
}
