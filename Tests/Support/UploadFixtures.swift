import Foundation
import VipsShim

/// Files and multipart bodies for upload tests (the file service's own, and
/// core's, which checks file ids with it).
public enum UploadFixtures {
    /// A synthetic photo made by libvips, in the format `ext` names.
    public static func sample(_ ext: String, width: Int = 640, height: Int = 480) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "tt-sample-\(UUID().uuidString).\(ext)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = tt_vips_start()
        guard tt_vips_make_sample(path, Int32(width), Int32(height)) == 0 else { throw CocoaError(.fileWriteUnknown) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    public static let boundary = "ttBoundary42"

    /// A multipart/form-data body: `purpose` then the file part.
    public static func multipart(purpose: String?, file: [UInt8]?, name: String = "upload.bin", type: String? = nil) -> [UInt8] {
        var body: [UInt8] = []
        if let purpose {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n\(purpose)\r\n".utf8)
        }
        if let file {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\n"
            if let type { head += "Content-Type: \(type)\r\n" }
            body += Array((head + "\r\n").utf8) + file + Array("\r\n".utf8)
        }
        return body + Array("--\(boundary)--\r\n".utf8)
    }
}
