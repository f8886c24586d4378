import Foundation

/// What a file is, decided by its bytes (never by its name or the
/// Content-Type the client sent). Pure.
public enum FileKind: String, Sendable, Codable, CaseIterable {
    case jpeg, png, pdf, docx

    public var isImage: Bool { self == .jpeg || self == .png }
    public var contentType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .pdf: "application/pdf"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        }
    }
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .pdf: "pdf"
        case .docx: "docx"
        }
    }

    /// The magic numbers: JPEG FF D8 FF, PNG's 8-byte signature, "%PDF-",
    /// and a ZIP local header (a docx only once its directory is checked).
    public enum Sniffed: Sendable, Equatable { case kind(FileKind), zip, unknown, needMore }

    public static let sniffLength = 8

    public static func sniff(_ prefix: [UInt8]) -> Sniffed {
        func starts(_ magic: [UInt8]) -> Bool? {
            if prefix.count < magic.count { return Array(magic.prefix(prefix.count)) == prefix ? nil : false }
            return Array(prefix.prefix(magic.count)) == magic
        }
        let checks: [([UInt8], Sniffed)] = [
            ([0xFF, 0xD8, 0xFF], .kind(.jpeg)),
            ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], .kind(.png)),
            (Array("%PDF-".utf8), .kind(.pdf)),
            ([0x50, 0x4B, 0x03, 0x04], .zip),
        ]
        var undecided = false
        for (magic, result) in checks {
            switch starts(magic) {
            case true?: return result
            case nil: undecided = true
            case false?: continue
            }
        }
        return undecided ? .needMore : .unknown
    }

    /// The file's name and the type the client declared (when given) must
    /// say what the bytes say: a PNG named .pdf, or a PDF sent as image/png, is refused.
    public static func agrees(_ kind: FileKind, fileName: String?, declaredType: String?) -> Bool {
        let extensions: [FileKind: Set<String>] = [.jpeg: ["jpg", "jpeg", "jfif"], .png: ["png"], .pdf: ["pdf"], .docx: ["docx"]]
        if let name = fileName, let dot = name.lastIndex(of: "."), dot != name.startIndex {
            let ext = name[name.index(after: dot)...].lowercased()
            guard extensions[kind]!.contains(ext) else { return false }
        }
        if let declared = declaredType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces),
           !declared.isEmpty, declared != "application/octet-stream" {
            let aliases: [FileKind: Set<String>] = [.jpeg: ["image/jpeg", "image/jpg", "image/pjpeg"], .png: ["image/png"],
                                                    .pdf: ["application/pdf"], .docx: [FileKind.docx.contentType]]
            guard aliases[kind]!.contains(declared) else { return false }
        }
        return true
    }

    /// A docx is an OOXML zip: its central directory names
    /// `[Content_Types].xml` and `word/document.xml`.
    public static func isDocx(zipEntries: [String]) -> Bool {
        zipEntries.contains("[Content_Types].xml") && zipEntries.contains("word/document.xml")
    }
}

/// Why a file is uploaded, and what that allows.
public enum FilePurpose: String, Sendable, Codable, CaseIterable {
    case avatar, portfolio
    case chatAttachment = "chat_attachment"
    case bookingAttachment = "booking_attachment"
    case idDocument = "id_document"

    public var allowed: Set<FileKind> {
        switch self {
        case .avatar, .portfolio: [.jpeg, .png]
        case .chatAttachment, .bookingAttachment: [.jpeg, .png, .pdf, .docx]
        case .idDocument: [.jpeg, .png, .pdf]
        }
    }

    /// Seen only by the owner, the people it was shared with, and admins.
    public var isPrivate: Bool { self == .chatAttachment || self == .bookingAttachment || self == .idDocument }
}

/// Size limits (seed: 10 MB images, 50 MB documents).
public struct UploadLimits: Sendable, Equatable {
    public var image: Int64
    public var document: Int64
    /// Images larger than this many pixels are refused (decompression bombs).
    public var maxPixels: Int64

    public init(image: Int64 = 10 * 1024 * 1024, document: Int64 = 50 * 1024 * 1024, maxPixels: Int64 = 50_000_000) {
        self.image = image
        self.document = document
        self.maxPixels = maxPixels
    }

    public func limit(for kind: FileKind) -> Int64 { kind.isImage ? image : document }
    /// Before the kind is known: the largest any file may be.
    public var largest: Int64 { max(image, document) }
}

/// Reads the names in a ZIP's central directory (enough to tell a docx). Pure.
public enum ZipDirectory {
    /// `bytes` are the file from offset `base` to its end.
    public static func entryNames(_ bytes: [UInt8], base: Int = 0) -> [String]? {
        // The end-of-central-directory record: PK\x05\x06 within the last 64 KiB + 22 bytes.
        guard bytes.count >= 22 else { return nil }
        var eocd = -1
        var i = bytes.count - 22
        let floor = max(0, bytes.count - 22 - 65_535)
        while i >= floor {
            if bytes[i] == 0x50 && bytes[i + 1] == 0x4B && bytes[i + 2] == 0x05 && bytes[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { return nil }
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        let entries = u16(eocd + 10)
        var offset = u32(eocd + 16) - base
        var names: [String] = []
        for _ in 0..<entries {
            guard offset >= 0, offset + 46 <= bytes.count, bytes[offset] == 0x50, bytes[offset + 1] == 0x4B, bytes[offset + 2] == 0x01, bytes[offset + 3] == 0x02
            else { return nil }
            let nameLength = u16(offset + 28), extra = u16(offset + 30), comment = u16(offset + 32)
            guard offset + 46 + nameLength <= bytes.count else { return nil }
            names.append(String(decoding: bytes[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self))
            offset += 46 + nameLength + extra + comment
        }
        return names
    }
}
