import Foundation
import Logging
import Redis
import ServiceKit
import ServiceLifecycle
import Synchronization
import TrustTradeDTO

/// Live chat delivery across core instances: every message and read mark is
/// published on Redis (`chat:user:{userId}`, one channel per person), each
/// instance listens to all of them on one connection (`PSUBSCRIBE`) and hands
/// each frame to the WebSockets that person has open on this instance. The
/// same connection hears the auth service's `auth:revoked`: the sockets of
/// an ended session (or of every session, after a password reset) are told
/// to close.
public final class ChatHub: Service, Sendable {
    let redis: RedisClient
    let logger: Logger
    private struct Listener {
        let sessionId: String
        let continuation: AsyncStream<ChatSocketEvent>.Continuation
    }
    /// user id → socket → its listener
    private let listeners = Mutex<[UUID: [UUID: Listener]]>([:])

    public init(redis: RedisClient, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    static func channel(_ userId: UUID) -> String { "chat:user:\(userId.uuidString.lowercased())" }

    /// Sends a frame to every open socket of these people, on any instance.
    public func publish(_ frame: ChatSocketFrame, to users: [UUID]) async {
        guard let json = try? String(decoding: APIJSON.encoder().encode(frame), as: UTF8.self) else { return }
        for user in Set(users) {
            do {
                _ = try await redis.publish(Self.channel(user), json)
            } catch {
                // The message is stored; the app fetches it on reconnect.
                logger.warning("chat frame not published", metadata: ["error": .string("\(error)")])
            }
        }
    }

    /// What a socket of `identity` must do while the caller iterates: frames
    /// to send, or `sessionEnded` (then the stream ends). Ends when cancelled.
    public func events(for identity: Identity) -> AsyncStream<ChatSocketEvent> {
        let token = UUID()
        let userId = identity.userId
        let (stream, continuation) = AsyncStream<ChatSocketEvent>.makeStream(bufferingPolicy: .bufferingNewest(256))
        listeners.withLock { $0[userId, default: [:]][token] = Listener(sessionId: identity.sessionId, continuation: continuation) }
        continuation.onTermination = { [weak self] _ in
            self?.listeners.withLock { all in
                all[userId]?[token] = nil
                if all[userId]?.isEmpty == true { all[userId] = nil }
            }
        }
        return stream
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let subscription = try await redis.psubscribe(patterns: ["chat:user:*"])
                // Resubscribed with the patterns after a reconnect.
                try await subscription.subscribe([SessionRevocation.channel])
                try await cancelWhenGracefulShutdown {
                    for try await message in subscription {
                        if message.channel == SessionRevocation.channel {
                            self.revoke(payload: message.string)
                        } else {
                            self.deliver(channel: message.channel, payload: message.string)
                        }
                    }
                }
                await subscription.close()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("chat subscription failed; retrying", metadata: ["error": .string("\(error)")])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    func deliver(channel: String, payload: String) {
        guard let id = UUID(uuidString: String(channel.dropFirst("chat:user:".count))) else { return }
        let targets = listeners.withLock { Array(($0[id] ?? [:]).values) }
        for target in targets { target.continuation.yield(.frame(payload)) }
    }

    /// Tells the sockets of an ended session on this instance to close.
    func revoke(payload: String) {
        guard let revocation = SessionRevocation(payload: payload), let userId = UUID(uuidString: revocation.userId) else {
            logger.warning("unreadable session revocation", metadata: ["payload": .string(String(payload.prefix(200)))])
            return
        }
        let targets = listeners.withLock { all in
            (all[userId] ?? [:]).values.filter { revocation.ends(userId: userId, sessionId: $0.sessionId) }
        }
        for target in targets {
            target.continuation.yield(.sessionEnded)
            target.continuation.finish()
        }
    }
}

/// What the hub hands a live socket.
public enum ChatSocketEvent: Sendable, Equatable {
    /// A JSON frame (ChatSocketFrame) to send.
    case frame(String)
    /// The socket's session ended: close it with 4401.
    case sessionEnded
}

