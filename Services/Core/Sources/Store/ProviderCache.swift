import Crypto
import Foundation
import Logging
import Redis
import ServiceKit
import TrustTradeDTO

/// Redis caches of seed 4.2: `provider:{id}` (1 h) and
/// `search:providers:{hash}` (15 min). A change to a provider deletes its
/// entry and moves the search generation on, which retires every cached
/// search at once (old entries just expire). Redis trouble never fails a
/// request: the database answers.
public struct ProviderCache: Sendable {
    let redis: RedisClient?
    let logger: Logger
    public static let providerTTL = 3600
    public static let searchTTL = 900
    static let generationKey = "search:providers:generation"

    /// `redis: nil` turns caching off (benchmarks of the database path).
    public init(redis: RedisClient?, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    struct SearchPage: Codable {
        var hits: [ProviderSearchHit]
        var total: Int
    }

    /// An entry is stamped with the generation read before the database was;
    /// if a change moved the generation on meanwhile, the entry is never used.
    struct ProviderEntry: Codable {
        var generation: String
        var provider: ProviderDTO
    }

    public func provider(_ id: UUID, load: () async throws -> ProviderDTO?) async throws -> ProviderDTO? {
        guard let redis else { return try await load() }
        let key = "provider:\(id.uuidString.lowercased())"
        var generation = "0"
        if let values = try? await redis.mget([Self.generationKey, key]) {
            generation = values.first.flatMap { $0 } ?? "0"
            if let json = values.last.flatMap({ $0 }),
               let entry = try? APIJSON.decoder().decode(ProviderEntry.self, from: Data(json.utf8)),
               entry.generation == generation {
                return entry.provider
            }
        }
        let loaded = try await load()
        if let loaded { await write(key, ProviderEntry(generation: generation, provider: loaded), ttl: Self.providerTTL) }
        return loaded
    }

    public func search(
        _ s: ProviderSearch, run: () async throws -> (hits: [ProviderSearchHit], total: Int)
    ) async throws -> (hits: [ProviderSearchHit], total: Int) {
        guard let redis else { return try await run() }
        let generation = (try? await redis.get(Self.generationKey)) ?? nil
        let digest = SHA256.hash(data: Data("\(generation ?? "0")|\(s.cacheKey)".utf8)).map { String(format: "%02x", $0) }.joined()
        let key = "search:providers:\(digest)"
        if let page: SearchPage = await read(key) { return (page.hits, page.total) }
        let result = try await run()
        await write(key, SearchPage(hits: result.hits, total: result.total), ttl: Self.searchTTL)
        return result
    }

    /// After a provider (or its figures) changed.
    public func invalidate(_ providerId: UUID) async {
        guard let redis else { return }
        do {
            _ = try await redis.del("provider:\(providerId.uuidString.lowercased())")
            _ = try await redis.incr(Self.generationKey)
        } catch {
            logger.warning("provider cache not invalidated", metadata: ["providerId": .string(providerId.uuidString), "error": .string("\(error)")])
        }
    }

    private func read<T: Decodable>(_ key: String) async -> T? {
        guard let redis else { return nil }
        do {
            guard let json = try await redis.get(key) else { return nil }
            return try APIJSON.decoder().decode(T.self, from: Data(json.utf8))
        } catch {
            logger.debug("cache read failed", metadata: ["key": .string(key), "error": .string("\(error)")])
            return nil
        }
    }

    private func write<T: Encodable>(_ key: String, _ value: T, ttl: Int) async {
        guard let redis else { return }
        do {
            let json = String(decoding: try APIJSON.encoder().encode(value), as: UTF8.self)
            try await redis.set(key, json, expiration: .seconds(ttl))
        } catch {
            logger.debug("cache write failed", metadata: ["key": .string(key), "error": .string("\(error)")])
        }
    }
}
