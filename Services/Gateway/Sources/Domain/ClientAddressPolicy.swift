import Foundation

/// An IPv4 or IPv6 address range in CIDR notation (`10.0.0.0/8`,
/// `2001:db8::/32`; a bare address is a range of one).
public struct IPRange: Sendable, Equatable, CustomStringConvertible {
    /// 16 bytes; IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so one
    /// comparison serves both families.
    let network: [UInt8]
    let prefixLength: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPRange.parseAddress(String(parts[0])) else { return nil }
        let isV4 = !parts[0].contains(":")
        var length = 128
        if parts.count == 2 {
            guard parts[1].utf8.count <= 3, parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(parts[1]),
                  n <= (isV4 ? 32 : 128) else { return nil }
            length = isV4 ? n + 96 : n
        }
        self.prefixLength = length
        self.network = IPRange.masked(address, length)
        self.description = text
    }

    public func contains(_ address: String) -> Bool {
        guard let bytes = IPRange.parseAddress(address) else { return false }
        return IPRange.masked(bytes, prefixLength) == network
    }

    static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        var out = bytes
        for i in 0..<16 {
            let keep = max(0, min(8, length - i * 8))
            out[i] &= keep == 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF00 >> keep)
        }
        return out
    }

    /// 16 bytes for a textual IPv4 or IPv6 address (zone ids refused).
    static func parseAddress(_ text: String) -> [UInt8]? {
        if text.contains(":") { return parseV6(text) }
        guard let v4 = parseV4(Substring(text)) else { return nil }
        return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + v4
    }

    static func parseV4(_ text: Substring) -> [UInt8]? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var out: [UInt8] = []
        for octet in octets {
            guard (1...3).contains(octet.utf8.count), octet.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let n = UInt8(octet), octet.utf8.count == 1 || octet.first != "0" else { return nil }
            out.append(n)
        }
        return out
    }

    static func parseV6(_ text: String) -> [UInt8]? {
        guard text.utf8.count <= 45, !text.contains("%") else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, piece) in pieces.enumerated() {
                if i == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseV4(piece) else { return nil }
                    out += v4
                    continue
                }
                guard (1...4).contains(piece.utf8.count), let n = UInt16(piece, radix: 16) else { return nil }
                out += [UInt8(n >> 8), UInt8(n & 0xFF)]
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

/// Who the client is: the socket's peer, unless the peer is one of our own
/// proxies (load balancers, CDN), whose `X-Forwarded-For` then names the
/// hops before it. The client is the rightmost hop that is not ours:
/// everything left of it was written by the client and proves nothing.
public struct ClientAddressPolicy: Sendable {
    public let trustedProxies: [IPRange]

    public init(trustedProxies: [IPRange]) {
        self.trustedProxies = trustedProxies
    }

    public func isTrusted(_ address: String) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    public struct Resolution: Equatable, Sendable {
        /// The address rate limits and services see.
        public var client: String
        /// `X-Forwarded-For` for the upstream: the trusted part of the chain
        /// plus the peer, ending at us.
        public var forwardedFor: String
        /// The peer is one of our proxies (its `X-Forwarded-Proto` counts).
        public var viaTrustedProxy: Bool
    }

    public func resolve(peer: String, forwardedFor headers: [String]) -> Resolution {
        guard !trustedProxies.isEmpty, isTrusted(peer), !headers.isEmpty else {
            return Resolution(client: peer, forwardedFor: peer, viaTrustedProxy: !trustedProxies.isEmpty && isTrusted(peer))
        }
        let hops = headers.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        // Walk from the right: each trusted hop vouches for the one before it.
        var client = peer
        var kept: [String] = []
        for hop in hops.reversed() {
            // Something that is not an address was not written by a proxy
            // of ours: the hop to its right is the last we can name.
            guard IPRange.parseAddress(hop) != nil else { break }
            kept.append(hop)
            client = hop
            if !isTrusted(hop) { break }
        }
        return Resolution(client: client, forwardedFor: (kept.reversed() + [peer]).joined(separator: ", "), viaTrustedProxy: true)
    }
}
