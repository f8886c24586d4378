import TrustTradeDTO
import Foundation
import Mustache

/// A notification rendered for one person in one language.
public struct RenderedMessage: Sendable, Equatable {
    public var subject: String
    public var text: String
    public var html: String
    /// One line for SMS, push and the inbox.
    public var short: String
}

/// Mustache templates per kind and language (`Templates/<lang>/<kind>.<part>.mustache`):
/// subject, text, html and short. Falls back to English when a language lacks one.
public struct TemplateLibrary: Sendable {
    let library: MustacheLibrary

    public init(directory: String) async throws {
        library = try await MustacheLibrary(directory: directory)
    }

    public enum RenderError: Error, CustomStringConvertible {
        case missingTemplate(String)
        public var description: String {
            switch self { case .missingTemplate(let name): "no template \(name)" }
        }
    }

    public func render(_ kind: NotificationKind, language: Language, variables: [String: String]) throws -> RenderedMessage {
        func part(_ name: String) throws -> String {
            for lang in [language, .en] {
                if let out = library.render(variables, withTemplate: "\(lang.rawValue)/\(kind.rawValue).\(name)") { return out }
            }
            throw RenderError.missingTemplate("\(kind.rawValue).\(name)")
        }
        var context = variables
        let subject = try part("subject").trimmingCharacters(in: .whitespacesAndNewlines)
        context["subject"] = subject
        context["footerNote"] = language == .fil
            ? "Natanggap mo ito dahil may account ka sa TrustTrade."
            : "You received this because you have a TrustTrade account."
        let html = try {
            for lang in [language, .en] {
                if let out = library.render(context, withTemplate: "\(lang.rawValue)/\(kind.rawValue).html") { return out }
            }
            throw RenderError.missingTemplate("\(kind.rawValue).html")
        }()
        return RenderedMessage(
            subject: subject,
            text: try part("text"),
            html: html,
            short: try part("short").trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }
}
