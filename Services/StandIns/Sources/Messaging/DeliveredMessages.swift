import Foundation

/// Everything the messaging stand-ins accepted, newest last, so a person can
/// read it in the dev mailbox and tests can assert on it.
public actor DeliveredMessages {
    public struct Email: Codable, Sendable {
        public var id: String
        public var to: [String]
        public var from: String
        public var subject: String
        public var text: String?
        public var html: String?
        public var receivedAt: Date
    }

    public struct SMS: Codable, Sendable {
        public var id: String
        public var number: String
        public var sender: String?
        public var message: String
        public var receivedAt: Date
    }

    public struct Push: Codable, Sendable {
        public var id: String
        public var token: String
        public var title: String?
        public var body: String?
        public var data: [String: String]?
        public var receivedAt: Date
    }

    public private(set) var emails: [Email] = []
    public private(set) var sms: [SMS] = []
    public private(set) var pushes: [Push] = []
    /// Recipients whose first attempt was already answered with a throttle.
    private var throttled: Set<String> = []
    private var counter = 0
    private let capacity = 5_000

    public init() {}

    func nextId(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)-\(counter)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    func record(_ email: Email) {
        emails.append(email)
        if emails.count > capacity { emails.removeFirst(emails.count - capacity) }
    }

    func record(_ message: SMS) {
        sms.append(message)
        if sms.count > capacity { sms.removeFirst(sms.count - capacity) }
    }

    func record(_ push: Push) {
        pushes.append(push)
        if pushes.count > capacity { pushes.removeFirst(pushes.count - capacity) }
    }

    /// True the first time a key is seen: lets the stand-ins answer one 429
    /// for addresses marked `+throttle`, the way a provider under load does.
    func throttleOnce(_ key: String) -> Bool {
        throttled.insert(key).inserted
    }

    public func email(id: String) -> Email? { emails.first { $0.id == id } }
}
