import Foundation

/// The providers in memory for matching: an inverted index of their words
/// (BM25) and their place, price and trust. Updated in place as the read
/// model changes; read by many requests at once (a readers–writer lock).
public final class MatchingIndex: @unchecked Sendable {
    public struct Provider: Sendable, Equatable {
        public var id: UUID
        public var userId: UUID
        public var categoryId: UUID
        public var categoryNames: [String]
        public var businessName: String
        /// Business name, description, skills, category names: what is matched.
        public var text: String
        public var latitude: Double?
        public var longitude: Double?
        public var hourlyRate: Int64
        public var trustScore: Int
        /// The read model's `changed_at`: the same version is never indexed twice.
        public var version: Date

        public init(id: UUID, userId: UUID, categoryId: UUID, categoryNames: [String], businessName: String, text: String, latitude: Double?,
                    longitude: Double?, hourlyRate: Int64, trustScore: Int, version: Date) {
            self.id = id
            self.userId = userId
            self.categoryId = categoryId
            self.categoryNames = categoryNames
            self.businessName = businessName
            self.text = text
            self.latitude = latitude
            self.longitude = longitude
            self.hourlyRate = hourlyRate
            self.trustScore = trustScore
            self.version = version
        }
    }

    public struct Request: Sendable {
        public var text: String
        /// A category id, or a category's name (its own or an ancestor's).
        public var category: String?
        public var latitude: Double?
        public var longitude: Double?
        /// Hourly budget, centavos.
        public var budget: Int64?
        /// Providers already booked at the time asked.
        public var exclude: Set<UUID>
        public var limit: Int

        public init(text: String, category: String? = nil, latitude: Double? = nil, longitude: Double? = nil, budget: Int64? = nil,
                    exclude: Set<UUID> = [], limit: Int = 10) {
            self.text = text
            self.category = category
            self.latitude = latitude
            self.longitude = longitude
            self.budget = budget
            self.exclude = exclude
            self.limit = limit
        }
    }

    public struct Match: Sendable {
        public var provider: Provider
        public var distanceKm: Double?
        public var breakdown: MatchScoring.Breakdown
    }

    struct Doc {
        var provider: Provider
        var length: Int
        var alive: Bool
        var categories: Set<String>
    }

    struct Posting {
        var doc: Int32
        var tf: UInt16
    }

    private var docs: [Doc] = []
    private var byId: [UUID: Int32] = [:]
    private var termIds: [String: Int32] = [:]
    private var postings: [[Posting]] = []
    private var aliveCount = 0
    private var aliveLength = 0
    /// Heap-allocated (a stable address); writers first, so the refresh is
    /// not starved by a steady stream of requests.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t> = .allocate(capacity: 1)

    public init() {
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    public var count: Int { read { aliveCount } }

    /// Adds or replaces providers; `deleted` ids leave.
    public func apply(upserts: [Provider], deleted: [UUID] = []) {
        write {
            for id in deleted { remove(id) }
            for p in upserts {
                if let i = byId[p.id], docs[Int(i)].alive, docs[Int(i)].provider.version == p.version {
                    continue
                }
                remove(p.id)
                add(p)
            }
            if docs.count > 1_000 && docs.count > aliveCount * 5 / 4 { compact() }
        }
    }

    private func add(_ p: Provider) {
        let terms = MatchText.terms(p.text)
        let doc = Int32(docs.count)
        var counts: [Int32: UInt16] = [:]
        for t in terms {
            let id: Int32
            if let known = termIds[t] {
                id = known
            } else {
                id = Int32(postings.count)
                termIds[t] = id
                postings.append([])
            }
            counts[id, default: 0] &+= 1
        }
        for (term, tf) in counts { postings[Int(term)].append(Posting(doc: doc, tf: tf)) }
        let categories = Set([p.categoryId.uuidString.lowercased()] + p.categoryNames.map(Self.categoryKey))
        docs.append(Doc(provider: p, length: terms.count, alive: true, categories: categories))
        byId[p.id] = doc
        aliveCount += 1
        aliveLength += terms.count
    }

    private func remove(_ id: UUID) {
        guard let i = byId.removeValue(forKey: id), docs[Int(i)].alive else { return }
        docs[Int(i)].alive = false
        aliveCount -= 1
        aliveLength -= docs[Int(i)].length
    }

    /// Rebuilds without the dead documents.
    private func compact() {
        let alive = docs.filter(\.alive).map(\.provider)
        docs = []
        byId = [:]
        termIds = [:]
        postings = []
        aliveCount = 0
        aliveLength = 0
        alive.forEach(add)
    }

    static func categoryKey(_ name: String) -> String {
        name.lowercased().replacingOccurrences(of: "-", with: " ").trimmingCharacters(in: .whitespaces)
    }

    // MARK: Matching

    public func recommend(_ r: Request) -> [Match] {
        read {
            let terms = Array(Set(MatchText.terms(r.text)))
            var raw: [Double]
            var candidates: [Int32] = []
            var ideal = 0.0
            if terms.isEmpty {
                raw = []
                candidates = (0..<Int32(docs.count)).filter { docs[Int($0)].alive }
            } else {
                raw = [Double](repeating: 0, count: docs.count)
                let average = Double(aliveLength) / Double(max(1, aliveCount))
                var idfs: [Double] = []
                for t in terms {
                    guard let id = termIds[t] else { idfs.append(BM25.idf(documents: aliveCount, containing: 0)); continue }
                    let list = postings[Int(id)]
                    let idf = BM25.idf(documents: aliveCount, containing: list.count)
                    idfs.append(idf)
                    for posting in list where docs[Int(posting.doc)].alive {
                        let d = Int(posting.doc)
                        if raw[d] == 0 { candidates.append(posting.doc) }
                        raw[d] += BM25.termScore(tf: Int(posting.tf), length: docs[d].length, averageLength: average, idf: idf)
                    }
                }
                ideal = BM25.ideal(idfs: idfs)
                if candidates.isEmpty {
                    // Nothing says those words: rank the rest on place, trust and price.
                    candidates = (0..<Int32(docs.count)).filter { docs[Int($0)].alive }
                }
            }
            let ranked = rank(candidates, raw: raw, ideal: ideal, textual: !terms.isEmpty, r)
            if ranked.isEmpty && !terms.isEmpty {
                // The words are only in providers the filters leave out: rank the rest on place, trust and price.
                return rank((0..<Int32(docs.count)).filter { docs[Int($0)].alive }, raw: [], ideal: 0, textual: false, r)
            }
            return ranked
        }
    }

    /// The best `r.limit` of `candidates` that pass the request's filters.
    private func rank(_ candidates: [Int32], raw: [Double], ideal: Double, textual: Bool, _ r: Request) -> [Match] {
        let category = r.category.map(Self.categoryKey)
        var best: [Match] = []
        best.reserveCapacity(r.limit + 1)
        for c in candidates {
            let doc = docs[Int(c)]
            if let category, !doc.categories.contains(category) { continue }
            if r.exclude.contains(doc.provider.id) { continue }
            var km: Double?
            if let lat = r.latitude, let lon = r.longitude {
                guard let plat = doc.provider.latitude, let plon = doc.provider.longitude else { continue }
                let d = MatchScoring.distanceKm(lat, lon, plat, plon)
                guard d <= MatchScoring.maximumDistanceKm else { continue }
                km = d
            }
            let skill = textual ? raw[Int(c)] / max(ideal, 1e-9) : 0
            let b = MatchScoring.breakdown(skill: skill, km: km, trustScore: doc.provider.trustScore, rate: doc.provider.hourlyRate, budget: r.budget)
            if best.count == r.limit, let worst = best.last, worst.breakdown.total >= b.total { continue }
            let match = Match(provider: doc.provider, distanceKm: km.map { ($0 * 100).rounded() / 100 }, breakdown: b)
            let at = best.firstIndex { $0.breakdown.total < b.total } ?? best.count
            best.insert(match, at: at)
            if best.count > r.limit { best.removeLast() }
        }
        return best
    }

    /// One provider scored for one request (even if it would not rank).
    public func score(providerId: UUID, _ r: Request) -> Match? {
        read {
            guard let i = byId[providerId], docs[Int(i)].alive else { return nil }
            let doc = docs[Int(i)]
            let terms = Array(Set(MatchText.terms(r.text)))
            let average = Double(aliveLength) / Double(max(1, aliveCount))
            var raw = 0.0, idfs: [Double] = []
            for t in terms {
                let list = termIds[t].map { postings[Int($0)] } ?? []
                let idf = BM25.idf(documents: aliveCount, containing: list.count)
                idfs.append(idf)
                if let p = list.first(where: { $0.doc == i }) {
                    raw += BM25.termScore(tf: Int(p.tf), length: doc.length, averageLength: average, idf: idf)
                }
            }
            var km: Double?
            if let lat = r.latitude, let lon = r.longitude, let plat = doc.provider.latitude, let plon = doc.provider.longitude {
                km = MatchScoring.distanceKm(lat, lon, plat, plon)
            }
            let skill = terms.isEmpty ? 0 : raw / max(BM25.ideal(idfs: idfs), 1e-9)
            return Match(provider: doc.provider, distanceKm: km.map { ($0 * 100).rounded() / 100 },
                         breakdown: MatchScoring.breakdown(skill: skill, km: km, trustScore: doc.provider.trustScore,
                                                           rate: doc.provider.hourlyRate, budget: r.budget))
        }
    }

    private func read<T>(_ body: () -> T) -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }

    private func write<T>(_ body: () -> T) -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }
}
