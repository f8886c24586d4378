import TrustTradeDTO

/// A sign-up that passed every rule: normalized, ready to store.
public struct Registration: Sendable, Equatable {
    public let email: String
    public let password: String
    public let fullName: String
    public let phone: String?
    public let userType: UserType

    /// Validates a register request. Every problem is reported at once, per
    /// field, so a form can show them all. Nobody registers as admin.
    public static func validate(_ request: RegisterRequest) throws(ValidationFailure) -> Registration {
        var v = Validator()
        let email = Credentials.normalizeEmail(request.email)
        v.check(email != nil, "email", "Email must be a valid email address")
        for problem in Credentials.passwordProblems(request.password, email: email) {
            v.fail("password", "Password \(problem)")
        }
        let fullName = Credentials.normalizeFullName(request.fullName)
        v.check(fullName != nil, "fullName", "Full name is required (at most 255 characters)")
        var phone: String?
        if let raw = request.phone, !raw.trimmingCharacters(in: .whitespaces).isEmpty {
            phone = Credentials.normalizePhone(raw)
            v.check(phone != nil, "phone", "Phone must be a Philippine number such as 0917 123 4567 or in E.164 (+639171234567)")
        }
        let userType = UserType(rawValue: request.userType)
        v.check(userType == .consumer || userType == .provider, "userType", "userType must be consumer or provider")
        try v.validate()
        return Registration(email: email!, password: request.password, fullName: fullName!, phone: phone, userType: userType!)
    }
}
