/// Open client connections, per peer address and in all, against their
/// caps: 2,000 half-open sockets from one address must not take the file
/// descriptors every other client needs.
public struct ConnectionCounts: Sendable {
    public let maxPerAddress: Int
    public let maxTotal: Int
    public private(set) var total = 0
    private var byAddress: [String: Int] = [:]

    public init(maxPerAddress: Int, maxTotal: Int) {
        self.maxPerAddress = maxPerAddress
        self.maxTotal = maxTotal
    }

    public enum Admission: Equatable, Sendable {
        case admitted
        case addressFull
        case gatewayFull
    }

    /// Counts a new connection unless a cap is reached. `exempt`: the peer
    /// is one of our own proxies, which carry many clients each.
    public mutating func open(_ address: String, exempt: Bool) -> Admission {
        if total >= maxTotal { return .gatewayFull }
        if !exempt {
            let open = byAddress[address, default: 0]
            if open >= maxPerAddress { return .addressFull }
            byAddress[address] = open + 1
        }
        total += 1
        return .admitted
    }

    /// An admitted connection closed.
    public mutating func close(_ address: String, exempt: Bool) {
        total -= 1
        guard !exempt, let open = byAddress[address] else { return }
        if open <= 1 { byAddress[address] = nil } else { byAddress[address] = open - 1 }
    }

    public func open(from address: String) -> Int { byAddress[address, default: 0] }
}
