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
/// each frame to the WebSockets that person has open on this instance.
public final class ChatHub: Service, Sendable {
    let redis: RedisClient
    let logger: Logger
    private let listeners = Mutex<[UUID: [UUID: AsyncStream<String>.Continuation]]>([:])

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

    /// Frames for `userId` while the caller iterates; ends when cancelled.
    public func frames(for userId: UUID) -> AsyncStream<String> {
        let token = UUID()
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(256))
        listeners.withLock { $0[userId, default: [:]][token] = continuation }
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
                try await cancelWhenGracefulShutdown {
                    for try await message in subscription {
                        self.deliver(channel: message.channel, payload: message.string)
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
        for continuation in targets { continuation.yield(payload) }
    }
}

