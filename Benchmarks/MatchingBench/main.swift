import AIService
import Foundation

// `make bench-matching`: 100,000 providers over Metro Manila, Cebu and Davao
// in the matching index; p50/p95/p99 of `recommend` for a mix of requests
// (English, Filipino, with and without place, category and budget), next to
// the same requests scored by a linear scan of every provider (no inverted
// index) on the same machine. Aim: p95 < 50 ms.

struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
}

let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 100_000
let trades: [(String, [String])] = [
    ("Aircon Cleaning", ["aircon cleaning", "chemical wash", "split-type", "window type", "freon recharge", "aircon repair"]),
    ("Plumbing", ["plumber", "leak repair", "clogged drain", "faucet", "toilet repair", "pipe installation", "tubero"]),
    ("Electrical", ["electrician", "wiring", "outlet repair", "breaker", "lighting installation"]),
    ("House Cleaning", ["house cleaning", "deep cleaning", "move-out cleaning", "sofa cleaning", "general cleaning"]),
    ("Painting", ["painter", "interior painting", "exterior painting", "waterproofing"]),
    ("Tutoring", ["math tutor", "english tutor", "science tutor", "reading", "test review"]),
    ("Web Development", ["web developer", "website", "ecommerce", "wordpress", "mobile app"]),
    ("Moving", ["movers", "lipat bahay", "truck", "packing"]),
    ("Carpentry", ["carpenter", "cabinet", "furniture repair", "door installation"]),
    ("Pest Control", ["pest control", "termite treatment", "anay", "cockroach"]),
]
let places: [(String, Double, Double, Double)] = [
    ("Makati", 14.5547, 121.0244, 0.04), ("Quezon City", 14.6760, 121.0437, 0.08), ("Manila", 14.5995, 120.9842, 0.05),
    ("Pasig", 14.5764, 121.0851, 0.04), ("Taguig", 14.5176, 121.0509, 0.04), ("Cebu City", 10.3157, 123.8854, 0.06),
    ("Davao City", 7.1907, 125.4553, 0.08),
]
var rng = Rng(state: 42)
var providers: [MatchingIndex.Provider] = []
providers.reserveCapacity(count)
let now = Date()
for i in 0..<count {
    let (category, skills) = rng.pick(trades)
    let place = rng.pick(places)
    let chosen = (0..<3).map { _ in rng.pick(skills) }
    let name = "\(rng.pick(["Reyes", "Santos", "Cruz", "Garcia", "Mendoza", "Bautista", "Ramos", "Aquino"])) \(category) \(place.0) \(i)"
    providers.append(MatchingIndex.Provider(
        id: UUID(), userId: UUID(), categoryId: UUID(), categoryNames: ["Home Services", category], businessName: name,
        text: ([name, "Serving \(place.0) and nearby. " + chosen.joined(separator: ", ")] + chosen + [category]).joined(separator: " "),
        latitude: place.1 + (rng.unit() - 0.5) * place.3, longitude: place.2 + (rng.unit() - 0.5) * place.3,
        hourlyRate: Int64(200 + Int(rng.unit() * 1800)) * 100, trustScore: Int(rng.unit() * 1001), version: now))
}

let index = MatchingIndex()
var clock = ContinuousClock.now
index.apply(upserts: providers)
let build = ContinuousClock.now - clock
print("matching index: \(index.count) providers built in \(build)")

let requests: [MatchingIndex.Request] = [
    .init(text: "aircon cleaning", latitude: 14.5547, longitude: 121.0244, budget: 80_000),
    .init(text: "Kailangan ko ng tubero, may tulo ang gripo", latitude: 14.6760, longitude: 121.0437),
    .init(text: "maglinis ng bahay", category: "House Cleaning", latitude: 14.5764, longitude: 121.0851, budget: 50_000),
    .init(text: "electrician for outlet repair and wiring"),
    .init(text: "math tutor", latitude: 10.3157, longitude: 123.8854),
    .init(text: "", category: "Plumbing", latitude: 14.5176, longitude: 121.0509, budget: 60_000),
    .init(text: "website ecommerce developer", budget: 150_000),
    .init(text: "lipat bahay truck", latitude: 7.1907, longitude: 125.4553),
    .init(text: "termite anay treatment", latitude: 14.5995, longitude: 120.9842),
    .init(text: "sofa deep cleaning", category: "house cleaning"),
]

// The reference: every provider's words counted once, every request scored
// against every provider (what the inverted index avoids).
let docTerms: [[String: Int]] = providers.map { p in MatchText.terms(p.text).reduce(into: [:]) { $0[$1, default: 0] += 1 } }
let avgLength = Double(docTerms.reduce(0) { $0 + $1.values.reduce(0, +) }) / Double(docTerms.count)
var df: [String: Int] = [:]
for d in docTerms { for t in d.keys { df[t, default: 0] += 1 } }
@MainActor func linearScan(_ r: MatchingIndex.Request) -> Int {
    let terms = Array(Set(MatchText.terms(r.text)))
    let idfs = terms.map { BM25.idf(documents: providers.count, containing: df[$0] ?? 0) }
    let ideal = BM25.ideal(idfs: idfs)
    var best: [(Double, Int)] = []
    for (i, d) in docTerms.enumerated() {
        var raw = 0.0
        let length = d.values.reduce(0, +)
        for (t, idf) in zip(terms, idfs) {
            if let tf = d[t] { raw += BM25.termScore(tf: tf, length: length, averageLength: avgLength, idf: idf) }
        }
        let p = providers[i]
        var km: Double?
        if let lat = r.latitude, let lon = r.longitude {
            let k = MatchScoring.distanceKm(lat, lon, p.latitude!, p.longitude!)
            if k > MatchScoring.maximumDistanceKm { continue }
            km = k
        }
        let total = MatchScoring.breakdown(skill: terms.isEmpty ? 0 : raw / ideal, km: km, trustScore: p.trustScore, rate: p.hourlyRate,
                                           budget: r.budget).total
        best.append((total, i))
    }
    best.sort { $0.0 > $1.0 }
    return best.prefix(r.limit).count
}

@MainActor func percentiles(_ label: String, rounds: Int, _ run: (MatchingIndex.Request) -> Int) -> [Double] {
    var times: [Double] = []
    for _ in 0..<rounds {
        for r in requests {
            let start = ContinuousClock.now
            let n = run(r)
            precondition(n > 0, "no results for \(r.text)")
            let d = ContinuousClock.now - start
            times.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
        }
    }
    times.sort()
    func p(_ q: Double) -> Double { times[min(times.count - 1, Int(Double(times.count) * q))] }
    return [p(0.5), p(0.95), p(0.99)]
}

_ = percentiles("warm-up", rounds: 1) { index.recommend($0).count }
let ours = percentiles("index", rounds: 20) { index.recommend($0).count }
let reference = percentiles("linear scan", rounds: 2) { linearScan($0) }
print(String(format: "%-34@ %9@ %9@ %9@", "recommend (\(requests.count) requests)" as NSString, "p50 ms" as NSString, "p95 ms" as NSString,
             "p99 ms" as NSString))
print(String(format: "%-34@ %9.2f %9.2f %9.2f", "inverted index (ours)" as NSString, ours[0], ours[1], ours[2]))
print(String(format: "%-34@ %9.2f %9.2f %9.2f", "linear scan (reference)" as NSString, reference[0], reference[1], reference[2]))
print(ours[1] < 50 ? "aim met: p95 < 50 ms" : "aim NOT met: p95 ≥ 50 ms")
