import Foundation
import Hummingbird
import ServiceKit
import TrustTradeDTO

/// `/v1/ai/nlp`: sentiment and risk flags for a text (signed-in callers),
/// and `/v1/ai/moderation`: what was flagged high-risk (admins).
public struct NLPController<Context: ServiceRequestContext>: Sendable {
    let moderation: ModerationStore

    public init(moderation: ModerationStore) {
        self.moderation = moderation
    }

    public func addRoutes(nlp: RouterGroup<Context>, moderation group: RouterGroup<Context>) {
        nlp.post("sentiment", use: sentiment)
        nlp.post("analyze", use: analyze)
        group.get(use: list)
        group.post(":id/resolve", use: resolve)
    }

    @Sendable func sentiment(_ request: Request, context: Context) async throws -> Envelope<SentimentDTO> {
        _ = try context.requireIdentity()
        return Envelope(TextAnalysis.sentiment(try await Self.text(request, context)))
    }

    @Sendable func analyze(_ request: Request, context: Context) async throws -> Envelope<TextAnalysisDTO> {
        _ = try context.requireIdentity()
        return Envelope(TextAnalysis.analyze(try await Self.text(request, context)))
    }

    static func text(_ request: Request, _ context: Context) async throws -> String {
        let body = try await request.decodeJSON(as: TextRequest.self, context: context)
        let text = (body.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw APIError.validation("text", "text is required") }
        guard text.count <= TextAnalysis.maximumCharacters else {
            throw APIError.validation("text", "text is at most \(TextAnalysis.maximumCharacters) characters")
        }
        return text
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Envelope<[ModerationItemDTO]> {
        try context.requireRole(.admin, "Only admins see the moderation list")
        let query = request.uri.queryParameters
        let page = try request.pageRequest()
        let status = query.get("status") ?? "open"
        guard ["open", "dismissed", "actioned"].contains(status) else {
            throw APIError.validation("status", "status must be open, dismissed or actioned")
        }
        let (items, total) = try await moderation.list(status: status, page: page)
        return Envelope(items, page: page, total: total)
    }

    static var maximumNoteLength: Int { 2_000 }

    @Sendable func resolve(_ request: Request, context: Context) async throws -> Envelope<ModerationItemDTO> {
        let identity = try context.requireIdentity()
        let id = try context.uuidParameter(what: "Item id")
        let body = try await request.decodeJSON(as: ResolveModerationRequest.self, context: context)
        guard let action = body.action, ["dismiss", "action"].contains(action) else {
            throw APIError.validation("action", "action must be dismiss or action")
        }
        // Postgres text holds no NUL; an unbounded note would fill the table.
        if let note = body.note, note.unicodeScalars.count > Self.maximumNoteLength || note.unicodeScalars.contains("\u{0}") {
            throw APIError.validation("note", "note is at most \(Self.maximumNoteLength) characters, without NUL characters")
        }
        try context.requireRole(.admin, "Only admins resolve moderation items")
        return Envelope(try await moderation.resolve(id: id, dismiss: action == "dismiss", admin: identity.userId, note: body.note))
    }
}
