import CLibVips
import Foundation
import NIOPosix
import VipsShim

/// Images through libvips: header-only size check (decompression bombs are
/// refused before decoding), a metadata-free copy of the original, WebP
/// variants. libvips works in its own threads; calls run on the thread pool.
public struct ImageProcessor: Sendable {
    public struct Variant: Sendable, Equatable {
        public var name: String
        public var size: Int
    }

    public static let variants = [Variant(name: "large", size: 1600), Variant(name: "thumb", size: 400)]

    public enum Failure: Error, Equatable {
        case unreadable(String)
        case tooManyPixels(width: Int, height: Int)
    }

    public init() throws {
        guard Self.started else { throw Failure.unreadable("libvips did not start") }
    }

    static let started: Bool = tt_vips_start() == 0

    public func dimensions(_ file: URL) async throws -> (Int, Int) {
        try await NIOThreadPool.singleton.runIfActive {
            var w: Int32 = 0, h: Int32 = 0
            guard tt_vips_header(file.path, &w, &h) == 0 else { throw Failure.unreadable(Self.lastError()) }
            return (Int(w), Int(h))
        }
    }

    /// A copy without EXIF/GPS/XMP, turned upright, in the same format.
    public func stripped(_ file: URL, to out: URL) async throws {
        try await NIOThreadPool.singleton.runIfActive {
            guard tt_vips_strip(file.path, out.path) == 0 else { throw Failure.unreadable(Self.lastError()) }
        }
    }

    public func webp(_ file: URL, size: Int, quality: Int = 80) async throws -> (data: Data, width: Int, height: Int) {
        try await NIOThreadPool.singleton.runIfActive {
            var buffer: UnsafeMutableRawPointer?
            var length = 0
            var w: Int32 = 0, h: Int32 = 0
            guard tt_vips_webp_thumbnail(file.path, Int32(size), Int32(quality), &buffer, &length, &w, &h) == 0, let buffer else {
                throw Failure.unreadable(Self.lastError())
            }
            defer { tt_vips_free(buffer) }
            return (Data(bytes: buffer, count: length), Int(w), Int(h))
        }
    }

    static func lastError() -> String {
        var message = [CChar](repeating: 0, count: 512)
        tt_vips_error(&message, message.count)
        let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
