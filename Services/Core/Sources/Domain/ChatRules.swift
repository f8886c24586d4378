import Foundation
import TrustTradeDTO

/// A validated message. Pure.
public struct ChatMessageDraft: Sendable, Equatable {
    public var type: ChatMessageType
    public var content: String
    public var fileId: String?

    public static let maxLength = 4000

    public static func validate(_ r: SendMessageRequest) throws(ValidationFailure) -> ChatMessageDraft {
        var v = Validator()
        let type = ChatMessageType(rawValue: r.type ?? "text")
        v.check(type != nil, "type", "Type must be text, image or file")
        let content = (r.content ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        v.check(content.count <= maxLength, "content", "A message is at most \(maxLength) characters")
        let fileId = r.fileId?.trimmingCharacters(in: .whitespacesAndNewlines)
        switch type {
        case .text?:
            v.check(!content.isEmpty, "content", "A text message needs content")
            v.check(fileId == nil, "fileId", "A text message has no file; send type image or file")
        case .image?, .file?:
            // File ids come from the file service's upload answer.
            v.check(fileId.flatMap(UUID.init(uuidString:)) != nil, "fileId", "An image or file message needs the fileId (a UUID) of an uploaded file")
        case nil: break
        }
        try v.validate()
        return ChatMessageDraft(type: type ?? .text, content: content, fileId: type == .text ? nil : fileId?.lowercased())
    }

    /// What the room list shows of the last message.
    public var preview: String {
        switch type {
        case .text: content.count > 80 ? String(content.prefix(79)) + "…" : content
        case .image: "📷 Photo"
        case .file: "📎 File"
        }
    }
}

/// Message cursors are opaque to clients: the message's sequence number.
public enum ChatCursor {
    public static func encode(_ seq: Int64) -> String { String(seq, radix: 36) }
    public static func decode(_ cursor: String) -> Int64? {
        guard let value = Int64(cursor, radix: 36), value > 0 else { return nil }
        return value
    }
}
