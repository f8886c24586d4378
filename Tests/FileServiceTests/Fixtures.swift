import Foundation
import TestSupport

/// Files for the tests, made here: photos by libvips, a JPEG with EXIF and
/// GPS written by hand, OOXML and plain zips, the EICAR test string.
enum Fixtures {
    static let eicar = Array(#"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"#.utf8)

    static func sample(_ ext: String, width: Int = 640, height: Int = 480) throws -> [UInt8] {
        try UploadFixtures.sample(ext, width: width, height: height)
    }

    /// A JPEG with an EXIF block naming the camera "TrustTradeCam", a GPS
    /// latitude (what must never leave the service) and orientation 6 (a
    /// portrait phone photo).
    static func jpegWithGPS() throws -> [UInt8] {
        let jpeg = try sample("jpg")
        var tiff: [UInt8] = Array("II".utf8) + [0x2A, 0x00, 0x08, 0x00, 0x00, 0x00]
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16) }
        let make = Array("TrustTradeCam\0".utf8)
        let ifd0 = 8, ifd0Size = 2 + 3 * 12 + 4
        let gps = ifd0 + ifd0Size, gpsSize = 2 + 1 * 12 + 4
        let makeOffset = gps + gpsSize
        tiff += u16(3)
        tiff += u16(0x010F) + u16(2) + u32(make.count) + u32(makeOffset)
        // Orientation 6: a portrait photo held sideways (must be turned upright).
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(6) + u16(0)
        tiff += u16(0x8825) + u16(4) + u32(1) + u32(gps)
        tiff += u32(0)
        tiff += u16(1)
        tiff += u16(0x0001) + u16(2) + u32(2) + Array("N\0\0\0".utf8)
        tiff += u32(0)
        tiff += make
        let app1 = Array("Exif\0\0".utf8) + tiff
        let segment: [UInt8] = [0xFF, 0xE1, UInt8((app1.count + 2) >> 8), UInt8((app1.count + 2) & 0xFF)] + app1
        return Array(jpeg.prefix(2)) + segment + Array(jpeg.dropFirst(2))
    }

    static let pdf = Array("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".utf8)

    /// A zip with `files` stored uncompressed (valid CRCs, central directory).
    static func zip(_ files: [(String, [UInt8])]) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)] }
        var out: [UInt8] = [], central: [UInt8] = []
        for (name, data) in files {
            let offset = UInt32(out.count), crc = crc32(data), n = Array(name.utf8)
            out += u32(0x0403_4B50) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(crc) + u32(UInt32(data.count)) + u32(UInt32(data.count))
                + u16(n.count) + u16(0) + n + data
            central += u32(0x0201_4B50) + u16(20) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(crc) + u32(UInt32(data.count))
                + u32(UInt32(data.count)) + u16(n.count) + u16(0) + u16(0) + u16(0) + u16(0) + u32(0) + u32(offset) + n
        }
        let start = UInt32(out.count)
        return out + central + u32(0x0605_4B50) + u16(0) + u16(0) + u16(files.count) + u16(files.count) + u32(UInt32(central.count)) + u32(start) + u16(0)
    }

    static func docx(extra: [(String, [UInt8])] = []) -> [UInt8] {
        zip([("[Content_Types].xml", Array(#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#.utf8)),
             ("word/document.xml", Array(#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>"#.utf8))]
            + extra)
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func multipart(purpose: String?, file: [UInt8]?, name: String = "upload.bin", type: String? = nil) -> [UInt8] {
        UploadFixtures.multipart(purpose: purpose, file: file, name: name, type: type)
    }
}
