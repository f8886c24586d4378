import Foundation
import Logging
import ServiceKit
import TrustTradeDTO

public enum NotificationJobName {
    public static let emailRequested = EventType.emailRequested
    public static let userRegistered = EventType.userRegistered
    public static let notifyUser = EventType.notificationRequested
}

/// Turns jobs from the `notification` queue into messages: renders the
/// templates in the person's language, applies their preferences, and hands
/// each message to its provider once per job, whatever number of times the
/// job runs.
public struct NotificationDispatcher: Sendable {
    let store: NotificationStore
    let templates: TemplateLibrary
    let email: any EmailSending
    let sms: any SMSSending
    let push: (any PushSending)?

    public init(store: NotificationStore, templates: TemplateLibrary, email: any EmailSending, sms: any SMSSending, push: (any PushSending)?) {
        self.store = store
        self.templates = templates
        self.email = email
        self.sms = sms
        self.push = push
    }

    public struct UnknownJob: Error, CustomStringConvertible {
        public let name: String
        public var description: String { "no handler for job \(name)" }
    }

    /// Handles one job. Throws `DeliveryError` when a provider failed, so the
    /// queue retries (or, for a permanent error, fails) the job.
    public func handle(name: String, json: String, jobId: String, logger: Logger) async throws {
        let data = Data(json.utf8)
        let decoder = APIJSON.decoder()
        switch name {
        case NotificationJobName.emailRequested:
            let event = try decoder.decode(EventEnvelope<EmailRequestedEvent>.self, from: data)
            try await sendAddressedEmail(event.payload, jobId: jobId, logger: logger)
        case NotificationJobName.userRegistered:
            let event = try decoder.decode(EventEnvelope<UserRegisteredEvent>.self, from: data)
            let user = event.payload
            try await store.saveRecipient(Recipient(userId: user.userId, email: user.email, phone: user.phone, fullName: user.fullName, language: .en))
            try await notify(NotifyUserRequest(userId: user.userId, kind: .welcome, variables: ["fullName": user.fullName]), jobId: jobId, logger: logger)
        case NotificationJobName.notifyUser:
            let request: NotifyUserRequest
            if let envelope = try? decoder.decode(EventEnvelope<NotifyUserRequest>.self, from: data) {
                request = envelope.payload
            } else {
                request = try decoder.decode(NotifyUserRequest.self, from: data)
            }
            try await notify(request, jobId: jobId, logger: logger)
        default:
            throw UnknownJob(name: name)
        }
    }

    /// Security mail to an address (verify email, reset password): always sent.
    func sendAddressedEmail(_ event: EmailRequestedEvent, jobId: String, logger: Logger) async throws {
        guard let kind = NotificationKind(rawValue: event.template) else { throw DeliveryError.permanent("unknown template \(event.template)") }
        let rendered = try templates.render(kind, language: .en, variables: event.variables)
        try await deliver(.email, to: event.to, kind: kind, jobId: jobId, logger: logger) {
            try await email.send(OutgoingEmail(to: event.to, toName: event.variables["fullName"], subject: rendered.subject, text: rendered.text, html: rendered.html))
        }
    }

    public func notify(_ request: NotifyUserRequest, jobId: String, logger: Logger) async throws {
        let recipient = try await store.recipient(request.userId)
        let disabled = try await store.disabledChannels(userId: request.userId, kind: request.kind)
        var channels = ChannelPolicy.channels(for: request.kind, disabled: disabled)
        if let only = request.channels { channels.formIntersection(only) }
        var variables = request.variables
        if variables["fullName"] == nil, let name = recipient?.fullName { variables["fullName"] = name }
        let rendered = try templates.render(request.kind, language: recipient?.language ?? .en, variables: variables)

        if channels.contains(.inApp) {
            try await store.addToInbox(userId: request.userId, kind: request.kind, title: rendered.subject, body: rendered.short, data: request.data ?? [:], jobId: jobId)
        }
        var failures: [any Error] = []
        if channels.contains(.email), let address = recipient?.email {
            do {
                try await deliver(.email, to: address, kind: request.kind, jobId: jobId, logger: logger) {
                    try await email.send(OutgoingEmail(to: address, toName: recipient?.fullName, subject: rendered.subject, text: rendered.text, html: rendered.html))
                }
            } catch { failures.append(error) }
        }
        if channels.contains(.sms), let phone = recipient?.phone {
            do {
                try await deliver(.sms, to: phone, kind: request.kind, jobId: jobId, logger: logger) {
                    try await sms.send(to: phone, message: rendered.short)
                }
            } catch { failures.append(error) }
        }
        if channels.contains(.push), let push {
            for token in try await store.deviceTokens(userId: request.userId) {
                do {
                    try await deliver(.push, to: token, kind: request.kind, jobId: jobId, logger: logger) {
                        try await push.send(PushMessage(token: token, title: rendered.subject, body: rendered.short, data: (request.data ?? [:]).merging(["type": request.kind.rawValue]) { a, _ in a }))
                    }
                } catch DeliveryError.unregistered {
                    // The app is gone from that device: forget the token, nothing to retry.
                    try await store.removeDevice(token: token)
                    logger.info("removed unregistered device token")
                } catch { failures.append(error) }
            }
        }
        // Retry the job when a channel can succeed later; what was sent is not sent again.
        if let retryable = failures.first(where: { if case DeliveryError.retryable = $0 { true } else { false } }) { throw retryable }
        if let first = failures.first { throw first }
    }

    /// Sends once per (job, channel, recipient) and records the outcome.
    func deliver(_ channel: Channel, to recipient: String, kind: NotificationKind, jobId: String, logger: Logger,
                 _ send: () async throws -> String) async throws {
        guard try await store.claimDelivery(jobId: jobId, channel: channel, recipient: recipient, template: kind.rawValue) else {
            logger.debug("already delivered", metadata: ["channel": .string(channel.rawValue)])
            return
        }
        do {
            let id = try await send()
            try await store.finishDelivery(jobId: jobId, channel: channel, recipient: recipient, status: "sent", providerId: id, error: nil)
        } catch {
            let status = (error as? DeliveryError) == .unregistered ? "skipped" : "failed"
            try await store.finishDelivery(jobId: jobId, channel: channel, recipient: recipient, status: status, providerId: nil, error: String(describing: error))
            throw error
        }
    }
}
