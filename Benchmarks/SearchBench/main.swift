import ArgumentParser
import CoreService
import Foundation
import Logging
import PostgresNIO
import ServiceKit

/// `make bench-search`: 100,000 providers over Metro Manila, Cebu and Davao,
/// a mixed set of searches straight against PostgreSQL (no cache), and
/// latency percentiles per kind of search and overall.
@main
struct SearchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search-bench")

    @Option(help: "PostgreSQL URL of an empty database to fill")
    var databaseURL: String

    @Option(help: "Providers to seed")
    var providers = 100_000

    @Option(help: "Measured searches (after a warm-up of one pass over the mix)")
    var queries = 2_000

    @Option(help: "Searches for the reference run with index scans turned off (0: skip)")
    var referenceQueries = 80

    func run() async throws {
        var logger = Logger(label: "search-bench")
        logger.logLevel = .warning
        let client = try Database.makeClient(url: databaseURL, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await Migrator(schema: "core", migrations: try coreMigrations()).migrate(client: client, logger: logger)
            let existing = try await count(client, logger)
            if existing < providers {
                let started = Date()
                try await Seed.fill(client, logger: logger, count: providers - existing)
                print(String(format: "seeded %d providers in %.1f s", providers, Date().timeIntervalSince(started)))
            } else {
                print("reusing \(existing) providers")
            }
            let store = ProviderSearchStore(client: client, logger: logger)
            let mix = try Mix.searches()
            // Warm-up: plans, caches, connections.
            for (_, search) in mix { _ = try await store.search(search) }

            var byKind: [String: [Double]] = [:]
            var all: [Double] = []
            var results: [String: Int] = [:]
            for i in 0..<queries {
                let (kind, search) = mix[i % mix.count]
                let t0 = DispatchTime.now().uptimeNanoseconds
                let (hits, total) = try await store.search(search)
                let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
                byKind[kind, default: []].append(ms)
                all.append(ms)
                results[kind] = max(hits.count, min(total, hits.count))
                results[kind + "#total"] = total
            }
            print("\nsearch latency, \(providers) providers, \(queries) searches, cache off, one at a time (ms)")
            print(pad("search", 44) + pad("matches", 9) + pad("p50", 8) + pad("p95", 8) + pad("p99", 8))
            for (kind, _) in mix where byKind[kind] != nil {
                let t = byKind.removeValue(forKey: kind)!
                print(pad(kind, 44) + pad(String(results[kind + "#total"] ?? 0), 9) + row(t))
            }
            print(pad("all", 53) + row(all))
            print("aim: p95 < 20 ms")

            if referenceQueries > 0 {
                // The same mix with the planner kept off the search indexes:
                // what the GIN/GiST indexes are worth on this machine.
                var reference: [Double] = []
                try await client.withConnection { connection in
                    try await connection.query("SET enable_indexscan = off", logger: logger)
                    try await connection.query("SET enable_bitmapscan = off", logger: logger)
                    let plain = ProviderSearchStore.onConnection(connection, logger: logger)
                    for i in 0..<referenceQueries {
                        let t0 = DispatchTime.now().uptimeNanoseconds
                        _ = try await plain(mix[i % mix.count].1)
                        reference.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                    }
                }
                print(pad("reference: same mix, no index scans", 53) + row(reference))
                let p95 = percentile(all, 0.95), ref95 = percentile(reference, 0.95)
                print(String(format: "indexes: p95 %.1f ms vs %.1f ms without (%.0f× faster)", p95, ref95, ref95 / max(p95, 0.001)))
            }
        }
    }

    func count(_ client: PostgresClient, _ logger: Logger) async throws -> Int {
        var n = 0
        for try await c in try await client.query("SELECT count(*)::int FROM core.providers", logger: logger).decode(Int.self) { n = c }
        return n
    }

    func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
    func row(_ t: [Double]) -> String {
        pad(String(format: "%.2f", percentile(t, 0.50)), 8) + pad(String(format: "%.2f", percentile(t, 0.95)), 8)
            + pad(String(format: "%.2f", percentile(t, 0.99)), 8)
    }
    func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
}

/// The searches people make, as query strings the API takes.
enum Mix {
    static let queries: [(String, String)] = [
        ("text + category + 10 km Makati, by trust", "q=aircon+cleaning&category=aircon-cleaning&location=Makati&radiusKm=10&sort=trust"),
        ("text near Quezon City, by relevance", "q=plumber+leak&location=Quezon+City"),
        ("typo near Makati", "q=aircon+claening&location=Makati"),
        ("text + root category, by rating", "q=math+tutor&category=lessons&sort=rating"),
        ("root category only, by trust", "category=home-services"),
        ("5 km around a pin in Cebu, by distance", "lat=10.3157&lng=123.8854&radiusKm=5&sort=distance"),
        ("text + max rate + min rating", "q=web+developer&maxRate=100000&minRating=4"),
        ("text in Davao, verified, min trust", "q=house+cleaning&location=Davao+City&verified=true&minTrust=600"),
        ("text everywhere, by price, page 3", "q=makeup&sort=price&page=3"),
        ("category + 10 km Cebu, by rating", "category=beauty-wellness&location=Cebu+City&sort=rating"),
    ]

    static func searches() throws -> [(String, ProviderSearch)] {
        try queries.map { kind, query in
            var parameters: [String: String] = [:]
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ") }
                parameters[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            return (kind, try ProviderSearch.parse(parameters))
        }
    }
}

/// Realistic providers: Filipino surnames, the category's own words, skills
/// from the trade, three cities' spread of coordinates.
enum Seed {
    static func fill(_ client: PostgresClient, logger: Logger, count: Int) async throws {
        try await client.withConnection { c in
            try await c.query(
                """
                CREATE TEMP TABLE bench_words (root text PRIMARY KEY, skills text[], phrases text[])
                """, logger: logger)
            try await c.query(
                """
                INSERT INTO bench_words VALUES
                ('home-services', ARRAY['split-type','window-type','inverter','chemical wash','leak repair','pipe fitting','wiring',
                    'rewiring','deep cleaning','general cleaning','termite control','washing machine repair','refrigerator repair','plumber','electrician'],
                    ARRAY['Same-day service available.','Licensed and insured.','We clean up after the job.','Free inspection within the city.',
                    'Over 10 years of experience.','Senior citizen discount.']),
                ('lessons', ARRAY['math','algebra','calculus','english','ielts','piano','guitar','voice','korean','japanese','reading','science','tutor'],
                    ARRAY['Home or online sessions.','Board passer.','Patient with kids.','Flexible schedule, weekends too.']),
                ('it-services', ARRAY['swift','ios','android','react','laravel','wordpress','shopify','figma','logo design','seo','web developer'],
                    ARRAY['Portfolio on request.','Fast turnaround.','Maintenance packages.','Worked with SMEs and startups.']),
                ('events', ARRAY['wedding','debut','birthday','catering','photography','videography','hosting','sound system','lights'],
                    ARRAY['Packages for 50 to 300 guests.','Book early for December.','Metro-wide coverage.']),
                ('beauty-wellness', ARRAY['haircut','hair color','manicure','pedicure','massage','hilot','makeup','lash extensions'],
                    ARRAY['Home service.','Sanitized tools every visit.','Bridal packages.']),
                ('moving-delivery', ARRAY['lipat bahay','truck rental','furniture','padala','same day delivery','packing'],
                    ARRAY['With helpers.','Closed van available.','Province trips.']),
                ('automotive', ARRAY['car wash','detailing','change oil','tune up','car aircon','battery','tires'],
                    ARRAY['Home service.','Genuine parts.','Fleet discounts.'])
                """, logger: logger)
            var remaining = count
            while remaining > 0 {
                let batch = min(remaining, 20_000)
                try await c.query(
                    """
                    WITH people AS (
                        INSERT INTO core.profiles (user_id, email, full_name, user_type)
                        SELECT gen_random_uuid(), 'bench-' || gen_random_uuid() || '@example.ph', 'Bench Provider', 'provider'
                        FROM generate_series(1, \(batch))
                        RETURNING user_id
                    ),
                    leaves AS (
                        SELECT c.id, c.name, r.slug AS root, row_number() OVER (ORDER BY c.slug) AS i, count(*) OVER () AS n
                        FROM core.categories c JOIN core.categories r ON r.id = c.parent_id
                    ),
                    picks AS (
                        SELECT user_id, random() AS region, random() AS cat, random() AS a, random() AS b, random() AS c2,
                               random() AS d, random() AS e, random() AS f
                        FROM people
                    )
                    INSERT INTO core.providers (user_id, category_id, business_name, description, hourly_rate_centavos,
                        service_areas, skills, latitude, longitude, trust_score, avg_rating, total_reviews, total_jobs_completed, is_verified)
                    SELECT p.user_id, l.id,
                        (ARRAY['Reyes','Santos','Cruz','Bautista','Garcia','Mendoza','Ramos','Aquino','Villanueva','Dela Cruz','Gonzales',
                               'Torres','Flores','Castillo','Navarro'])[1 + floor(p.a * 15)::int]
                            || ' ' || l.name || ' ' || (ARRAY['Services','Pro','Experts','Co.','Specialists','Team'])[1 + floor(p.b * 6)::int],
                        l.name || ' in ' || city.name || '. ' || w.phrases[1 + floor(p.c2 * array_length(w.phrases, 1))::int] || ' '
                            || w.phrases[1 + floor(p.d * array_length(w.phrases, 1))::int],
                        (200 + floor(p.e * 1800))::bigint * 100,
                        ARRAY[city.name || ' City'],
                        ARRAY[w.skills[1 + floor(p.a * array_length(w.skills, 1))::int], w.skills[1 + floor(p.d * array_length(w.skills, 1))::int],
                              w.skills[1 + floor(p.f * array_length(w.skills, 1))::int]],
                        city.lat + (p.b - 0.5) * city.spread, city.lng + (p.c2 - 0.5) * city.spread,
                        floor(p.e * 1001)::int, round((1 + p.f * 4)::numeric, 2), floor(p.a * 200)::int, floor(p.b * 300)::int, p.d < 0.3
                    FROM picks p
                    JOIN leaves l ON l.i = 1 + floor(p.cat * l.n)::int
                    JOIN bench_words w ON w.root = l.root
                    CROSS JOIN LATERAL (
                        SELECT * FROM (VALUES
                            ('Makati', 14.5547, 121.0244, 0.30), ('Quezon', 14.6760, 121.0437, 0.30), ('Pasig', 14.5764, 121.0851, 0.25),
                            ('Manila', 14.5995, 120.9842, 0.25), ('Taguig', 14.5176, 121.0509, 0.25),
                            ('Cebu', 10.3157, 123.8854, 0.25), ('Davao', 7.1907, 125.4553, 0.30)
                        ) AS v(name, lat, lng, spread)
                        -- 60 % Metro Manila, 25 % Cebu, 15 % Davao
                        WHERE v.name = CASE WHEN p.region < 0.60 THEN (ARRAY['Makati','Quezon','Pasig','Manila','Taguig'])[1 + floor(p.region / 0.12)::int]
                                            WHEN p.region < 0.85 THEN 'Cebu' ELSE 'Davao' END
                    ) city
                    """, logger: logger)
                remaining -= batch
            }
            try await c.query("VACUUM ANALYZE core.providers", logger: logger)
        }
    }
}
