import Crypto
import Foundation
import Hummingbird
import Logging
import MultipartKit
import NIOCore
import ServiceKit
import TrustTradeDTO

/// An upload from the first byte to a stored file: the multipart body is
/// parsed as it arrives and the file part written to a temporary file (never
/// held whole in memory); its kind is decided by its first bytes (415
/// otherwise) and its size checked as it grows (413 the moment it is over);
/// then a docx is checked to be OOXML, the file is scanned (clamd), images
/// get a metadata-free original and WebP variants, and everything is stored.
public struct Uploads: Sendable {
    let limits: UploadLimits
    let scanner: FileScanner?
    let scannerRequired: Bool
    let images: ImageProcessor
    let storage: BlobStorage
    let store: FileStore
    let tempDirectory: URL
    let logger: Logger

    public init(limits: UploadLimits, scanner: FileScanner?, scannerRequired: Bool, images: ImageProcessor, storage: BlobStorage, store: FileStore,
                tempDirectory: URL, logger: Logger) {
        self.limits = limits
        self.scanner = scanner
        self.scannerRequired = scannerRequired
        self.images = images
        self.storage = storage
        self.store = store
        self.tempDirectory = tempDirectory
        self.logger = logger
    }

    public func receive(_ request: Request, owner: UUID) async throws -> StoredFile {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
              let boundary = Self.boundary(type)
        else { throw APIError(.unsupportedMediaType, code: .unsupportedMediaType, message: "Send the file as multipart/form-data") }
        let id = UUID()
        let work = tempDirectory.appendingPathComponent("upload-\(id.uuidString.lowercased())", isDirectory: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let raw = work.appendingPathComponent("raw")
        let writer = try UploadWriter(file: raw, limits: limits)
        defer { writer.close() }

        // The parser calls back as it goes; what it finds waits here until the chunk is done.
        let parser = MultipartParser(boundary: boundary)
        var feed = MultipartFeed(parser)
        var part: (name: String, filename: String?)?
        var purposeText = ""
        var fileName: String?
        var declaredType: String?
        var fileParts = 0
        var pending = ByteBuffer()
        parser.onHeader = { name, value in
            if name.lowercased() == "content-type", part?.name == "file" { declaredType = value.lowercased() }
            guard name.lowercased() == "content-disposition" else { return }
            let fields = Self.dispositionFields(value)
            part = (fields["name"] ?? "", fields["filename"])
            if part?.name == "file" {
                fileParts += 1
                fileName = fields["filename"]
            }
        }
        parser.onBody = { buffer in
            switch part?.name {
            case "file"?: pending.writeBuffer(&buffer)
            case "purpose"?: if purposeText.count < 64 { purposeText += String(buffer: buffer) }
            default: break
            }
        }
        parser.onPartComplete = { part = nil }
        do {
            for try await chunk in request.body {
                try feed.execute(chunk)
                if pending.readableBytes > 0 {
                    try writer.write(pending)
                    pending.clear()
                }
            }
        } catch let error as APIError {
            throw error
        } catch let error as UploadWriter.Refusal {
            throw error.apiError(limits)
        } catch {
            throw APIError.badRequest("The multipart body could not be read")
        }
        guard fileParts == 1, writer.size > 0 else { throw APIError.validation("file", "Send exactly one non-empty file part named file") }
        guard let purpose = FilePurpose(rawValue: purposeText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw APIError.validation("purpose", "purpose must be one of " + FilePurpose.allCases.map(\.rawValue).joined(separator: ", "))
        }
        writer.close()
        var kind: FileKind
        do {
            kind = try writer.finish()
        } catch let error as UploadWriter.Refusal {
            throw error.apiError(limits)
        }
        if writer.isZip {
            guard let names = try Self.zipEntries(raw), FileKind.isDocx(zipEntries: names) else {
                throw APIError(.unsupportedMediaType, code: .unsupportedMediaType, message: "This zip is not a Word document (docx)")
            }
            kind = .docx
        }
        // The name and the declared type must agree with the bytes.
        guard FileKind.agrees(kind, fileName: fileName, declaredType: declaredType) else {
            throw APIError(.unsupportedMediaType, code: .unsupportedMediaType,
                           message: "The file is \(kind.rawValue) but was sent as \(declaredType ?? fileName ?? "something else")")
        }
        guard purpose.allowed.contains(kind) else {
            throw APIError(.unsupportedMediaType, code: .unsupportedMediaType,
                           message: "A \(purpose.rawValue) takes " + purpose.allowed.map(\.rawValue).sorted().joined(separator: ", "))
        }
        try await scan(raw)

        var stored = StoredFile(
            id: id, ownerId: owner, purpose: purpose, kind: kind, size: writer.size, originalName: Self.cleanName(fileName),
            sha256: writer.digest, width: nil, height: nil, storageKey: "files/\(id.uuidString.lowercased())/original.\(kind.fileExtension)",
            variants: [:], createdAt: Date(), deleted: false)
        var original = raw
        if kind.isImage {
            let (w, h) = try await dimensions(raw)
            stored.width = w
            stored.height = h
            // The original without EXIF (a customer's home in GPS), upright.
            let clean = work.appendingPathComponent("clean.\(kind.fileExtension)")
            do {
                try await images.stripped(raw, to: clean)
            } catch let failure as ImageProcessor.Failure {
                logger.info("unreadable image", metadata: ["error": .string(String(describing: failure))])
                throw APIError(.unsupportedMediaType, code: .unsupportedMediaType, message: "The image could not be read")
            }
            original = clean
            stored.size = Int64((try FileManager.default.attributesOfItem(atPath: clean.path)[.size] as? NSNumber)?.int64Value ?? stored.size)
            for variant in ImageProcessor.variants {
                let (data, vw, vh) = try await images.webp(clean, size: variant.size)
                let file = work.appendingPathComponent("\(variant.name).webp")
                try data.write(to: file)
                let key = "files/\(id.uuidString.lowercased())/\(variant.name).webp"
                try await storage.put(key: key, source: file, contentType: "image/webp")
                stored.variants[variant.name] = .init(key: key, contentType: "image/webp", size: Int64(data.count), width: vw, height: vh)
            }
        }
        try await storage.put(key: stored.storageKey, source: original, contentType: kind.contentType)
        try await store.insert(stored)
        return stored
    }

    func scan(_ file: URL) async throws {
        guard let scanner else {
            if scannerRequired { throw APIError(.serviceUnavailable, code: .scannerUnavailable, message: "No virus scanner is configured") }
            return
        }
        do {
            if case .infected(let signature) = try await scanner.scan(file) {
                logger.warning("infected upload refused", metadata: ["signature": .string(signature)])
                throw APIError(.unprocessableContent, code: .infected, message: "The file carries a virus (\(signature)); it was not kept")
            }
        } catch let error as ScannerUnavailable {
            logger.error("virus scanner unavailable", metadata: ["error": .string(error.description)])
            if scannerRequired {
                throw APIError(.serviceUnavailable, code: .scannerUnavailable, message: "The virus scanner is unavailable; nothing was kept. Try again later")
            }
        }
    }

    func dimensions(_ file: URL) async throws -> (Int, Int) {
        let (w, h): (Int, Int)
        do {
            (w, h) = try await images.dimensions(file)
        } catch {
            throw APIError(.unsupportedMediaType, code: .unsupportedMediaType, message: "The image could not be read")
        }
        guard Int64(w) * Int64(h) <= limits.maxPixels else {
            throw APIError(.contentTooLarge, code: .payloadTooLarge, message: "The image is \(w)×\(h) pixels; at most \(limits.maxPixels) pixels")
        }
        return (w, h)
    }

    static func boundary(_ contentType: String) -> String? {
        for piece in contentType.split(separator: ";") {
            let kv = piece.trimmingCharacters(in: .whitespaces)
            if kv.lowercased().hasPrefix("boundary=") {
                let value = String(kv.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty || value.count > 200 ? nil : value
            }
        }
        return nil
    }

    static func dispositionFields(_ value: String) -> [String: String] {
        var fields: [String: String] = [:]
        for piece in value.split(separator: ";").dropFirst() {
            let kv = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2 { fields[kv[0].lowercased()] = kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return fields
    }

    /// The name to show: no path, no control characters (Postgres text holds
    /// no NUL), at most 255 characters as the column counts them (code points,
    /// not Swift's grapheme clusters), never cutting a character in two.
    static func cleanName(_ name: String?) -> String {
        let base = (name ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var clean = ""
        var length = 0
        for character in base where !character.isNewline && !character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            length += character.unicodeScalars.count
            guard length <= 255 else { break }
            clean.append(character)
        }
        return clean
    }

    /// The ZIP's entry names, reading only its last 4 MiB.
    static func zipEntries(_ file: URL) throws -> [String]? {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        let base = size > 4 << 20 ? size - (4 << 20) : 0
        try handle.seek(toOffset: base)
        let tail = [UInt8](try handle.readToEnd() ?? Data())
        return ZipDirectory.entryNames(tail, base: Int(base))
    }
}

/// Hands the body to MultipartKit's parser, which (4.7.1, the last 4.x)
/// traps — index out of range — on a byte above 0x7F in a part's header
/// name: one request would stop the service. A header name only starts right
/// after a CRLF, so the parser is fed up to each byte above 0x7F that has
/// nothing but ASCII since the last CRLF and asked whether it is reading a
/// header name (its state is private: by reflection); then the body is a 400
/// before the parser sees that byte. About one check per header line (the
/// first non-ASCII byte of a file name) and per 64 KiB of binary body.
struct MultipartFeed {
    let parser: MultipartParser
    /// Only ASCII since the last CRLF (or since the start).
    private var asciiLine = true
    private var previous: UInt8 = 0

    init(_ parser: MultipartParser) { self.parser = parser }

    mutating func execute(_ chunk: ByteBuffer) throws {
        var risky: [Int] = []
        chunk.withUnsafeReadableBytes { bytes in
            for (offset, byte) in bytes.enumerated() {
                if byte == 0x0A {
                    asciiLine = previous == 0x0D
                } else if byte > 0x7F {
                    if asciiLine { risky.append(offset) }
                    asciiLine = false
                }
                previous = byte
            }
        }
        var fed = 0
        for offset in risky {
            if offset > fed { try parser.execute(chunk.getSlice(at: chunk.readerIndex + fed, length: offset - fed)!) }
            fed = offset
            if Self.readsHeaderName(parser) {
                throw APIError.badRequest("The multipart body could not be read (a part's header name is not ASCII)")
            }
        }
        if fed < chunk.readableBytes { try parser.execute(chunk.getSlice(at: chunk.readerIndex + fed, length: chunk.readableBytes - fed)!) }
    }

    /// `state == .headers(state: .headerName(...))`.
    static func readsHeaderName(_ parser: MultipartParser) -> Bool {
        guard let state = Mirror(reflecting: parser).descendant("state"),
              let headers = Mirror(reflecting: state).children.first, headers.label == "headers"
        else { return false }
        var header = headers.value
        // The payload may come as the labelled one-element tuple `(state: HeaderState)`.
        if let inner = Mirror(reflecting: header).children.first, inner.label == "state" { header = inner.value }
        return Mirror(reflecting: header).children.first?.label == "headerName"
    }
}

/// Writes the file part to disk as it arrives; sniffs its kind from the
/// first bytes and enforces that kind's size limit as it grows.
final class UploadWriter: @unchecked Sendable {
    enum Refusal: Error {
        case unknownType
        case tooLarge(FileKind?)

        func apiError(_ limits: UploadLimits) -> APIError {
            switch self {
            case .unknownType:
                APIError(.unsupportedMediaType, code: .unsupportedMediaType, message: "Only JPEG, PNG, PDF and Word (docx) files are taken")
            case .tooLarge(let kind):
                APIError(.contentTooLarge, code: .payloadTooLarge, message: kind.map { $0.isImage } ?? false
                    ? "Images are at most \(limits.image / 1_048_576) MB" : "Documents are at most \(limits.document / 1_048_576) MB")
            }
        }
    }

    let handle: FileHandle
    let limits: UploadLimits
    var prefix: [UInt8] = []
    var kind: FileKind?
    var isZip = false
    var size: Int64 = 0
    var hasher = SHA256()
    var closed = false

    init(file: URL, limits: UploadLimits) throws {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        handle = try FileHandle(forWritingTo: file)
        self.limits = limits
    }

    func write(_ buffer: ByteBuffer) throws {
        if kind == nil && !isZip {
            prefix += buffer.readableBytesView.prefix(FileKind.sniffLength - prefix.count)
            try decide(final: false)
        }
        size += Int64(buffer.readableBytes)
        let limit = kind.map(limits.limit) ?? (isZip ? limits.document : limits.largest)
        guard size <= limit else { throw Refusal.tooLarge(kind ?? (isZip ? .docx : nil)) }
        buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        try handle.write(contentsOf: buffer.readableBytesView)
    }

    func decide(final: Bool) throws {
        switch FileKind.sniff(prefix) {
        case .kind(let k): kind = k
        case .zip: isZip = true
        case .unknown: throw Refusal.unknownType
        case .needMore: if final { throw Refusal.unknownType }
        }
    }

    /// The kind (a zip answers .docx until its directory is checked).
    func finish() throws -> FileKind {
        if kind == nil && !isZip { try decide(final: true) }
        return kind ?? .docx
    }

    var digest: String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }

    func close() {
        guard !closed else { return }
        closed = true
        try? handle.close()
    }
}
