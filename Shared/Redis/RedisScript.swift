import Foundation

/// A Lua script, identified by the SHA1 of its source (what `EVALSHA` expects).
/// Run it with `client.run(script, keys:, args:)`.
public struct RedisScript: Sendable, Hashable {
    public let source: String
    /// Lower-case hex SHA1 of `source`.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hex(Array(source.utf8))
    }
}

/// Minimal SHA1 (FIPS 180-1), only for script ids.
enum SHA1 {
    static func hex(_ message: [UInt8]) -> String {
        var h0: UInt32 = 0x6745_2301
        var h1: UInt32 = 0xEFCD_AB89
        var h2: UInt32 = 0x98BA_DCFE
        var h3: UInt32 = 0x1032_5476
        var h4: UInt32 = 0xC3D2_E1F0

        var data = message
        let bitLength = UInt64(message.count) * 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for i in (0..<8).reversed() { data.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }

        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                let b = chunk + i * 4
                w[i] = UInt32(data[b]) << 24 | UInt32(data[b + 1]) << 16 | UInt32(data[b + 2]) << 8 | UInt32(data[b + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = (x << 1) | (x >> 31)
            }
            var a = h0, b = h1, c = h2, d = h3, e = h4
            for i in 0..<80 {
                let f: UInt32
                let k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let temp = ((a << 5) | (a >> 27)) &+ f &+ e &+ k &+ w[i]
                e = d
                d = c
                c = (b << 30) | (b >> 2)
                b = a
                a = temp
            }
            h0 = h0 &+ a
            h1 = h1 &+ b
            h2 = h2 &+ c
            h3 = h3 &+ d
            h4 = h4 &+ e
        }
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(40)
        for h in [h0, h1, h2, h3, h4] {
            for shift in stride(from: 28, through: 0, by: -4) {
                out.append(digits[Int((h >> UInt32(shift)) & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension RedisScript {
    /// The text of `<name>.lua` shipped in `bundle` (in `subdirectory`, or at
    /// its root). A missing script is a packaging bug, so it stops the process.
    public static func bundledSource(_ name: String, in bundle: Bundle, subdirectory: String? = nil) -> String {
        let url = subdirectory.flatMap { bundle.url(forResource: name, withExtension: "lua", subdirectory: $0) }
            ?? bundle.url(forResource: name, withExtension: "lua")
        guard let url, let text = try? String(contentsOf: url, encoding: .utf8) else {
            fatalError("Lua script \(name).lua is missing from the bundle")
        }
        return text
    }
}
