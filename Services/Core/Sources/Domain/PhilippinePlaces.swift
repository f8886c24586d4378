import Foundation

/// Centres of the cities people name when they search ("near Makati"), so a
/// place name works like a map pin. Coordinates: city halls, rounded.
public enum PhilippinePlaces {
    public struct Place: Sendable, Equatable {
        public var name: String
        public var latitude: Double
        public var longitude: Double
    }

    static let places: [Place] = [
        // Metro Manila
        Place(name: "Manila", latitude: 14.5995, longitude: 120.9842),
        Place(name: "Quezon City", latitude: 14.6760, longitude: 121.0437),
        Place(name: "Makati", latitude: 14.5547, longitude: 121.0244),
        Place(name: "Taguig", latitude: 14.5176, longitude: 121.0509),
        Place(name: "Pasig", latitude: 14.5764, longitude: 121.0851),
        Place(name: "Mandaluyong", latitude: 14.5794, longitude: 121.0359),
        Place(name: "San Juan", latitude: 14.6019, longitude: 121.0355),
        Place(name: "Pasay", latitude: 14.5378, longitude: 121.0014),
        Place(name: "Paranaque", latitude: 14.4793, longitude: 121.0198),
        Place(name: "Las Pinas", latitude: 14.4445, longitude: 120.9939),
        Place(name: "Muntinlupa", latitude: 14.4081, longitude: 121.0415),
        Place(name: "Marikina", latitude: 14.6507, longitude: 121.1029),
        Place(name: "Caloocan", latitude: 14.6507, longitude: 120.9673),
        Place(name: "Malabon", latitude: 14.6681, longitude: 120.9658),
        Place(name: "Navotas", latitude: 14.6667, longitude: 120.9417),
        Place(name: "Valenzuela", latitude: 14.7011, longitude: 120.9830),
        Place(name: "Pateros", latitude: 14.5454, longitude: 121.0687),
        Place(name: "Bonifacio Global City", latitude: 14.5509, longitude: 121.0503),
        Place(name: "Ortigas", latitude: 14.5869, longitude: 121.0614),
        // Around Metro Manila
        Place(name: "Antipolo", latitude: 14.5865, longitude: 121.1753),
        Place(name: "Bacoor", latitude: 14.4624, longitude: 120.9645),
        Place(name: "Imus", latitude: 14.4297, longitude: 120.9367),
        Place(name: "Santa Rosa", latitude: 14.3122, longitude: 121.1114),
        // Visayas and Mindanao
        Place(name: "Cebu City", latitude: 10.3157, longitude: 123.8854),
        Place(name: "Mandaue", latitude: 10.3236, longitude: 123.9223),
        Place(name: "Lapu-Lapu", latitude: 10.3103, longitude: 123.9494),
        Place(name: "Talisay", latitude: 10.2447, longitude: 123.8494),
        Place(name: "Davao City", latitude: 7.1907, longitude: 125.4553),
        Place(name: "Iloilo City", latitude: 10.7202, longitude: 122.5621),
        Place(name: "Bacolod", latitude: 10.6770, longitude: 122.9500),
        Place(name: "Cagayan de Oro", latitude: 8.4542, longitude: 124.6319),
        Place(name: "Baguio", latitude: 16.4023, longitude: 120.5960),
    ]

    /// The place a name means: case, accents ("Parañaque"), "City" and
    /// "City of" do not matter.
    public static func find(_ name: String) -> Place? {
        let key = normalize(name)
        guard !key.isEmpty else { return nil }
        return places.first { normalize($0.name) == key }
    }

    static func normalize(_ name: String) -> String {
        var s = name.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "en_US_POSIX")).lowercased()
        s = s.replacingOccurrences(of: "-", with: " ")
        var words = s.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "." }).map(String.init)
        if words.first == "city", words.dropFirst().first == "of" { words.removeFirst(2) }
        if words.last == "city" { words.removeLast() }
        if words.last == "metro" || words.last == "manila", words.count > 1, words.first != "metro" { words.removeLast() }
        return words.joined(separator: " ")
    }
}

/// The grid squares a circle touches, as the `geo_cells` column of providers
/// numbers them: fine squares of 0.02° (about 2.2 km) as
/// `lat × 100000 + lng`, coarse ones of 0.1° as `10⁹ + lat × 10000 + lng`,
/// latitude and longitude shifted to be positive and floored. Pure.
public enum GeoCells {
    /// More squares than this and the grid stops helping (a circle wider
    /// than about 100 km).
    public static let maxCells = 400

    /// The squares of the finest grid that covers the circle in at most
    /// `maxCells`; nil when even the coarse one cannot.
    public static func cells(latitude: Double, longitude: Double, radiusKm: Double) -> [Int]? {
        if let fine = squares(latitude, longitude, radiusKm, perDegree: 50, latFactor: 100_000, base: 0) { return fine }
        return squares(latitude, longitude, radiusKm, perDegree: 10, latFactor: 10_000, base: 1_000_000_000)
    }

    static func squares(_ latitude: Double, _ longitude: Double, _ radiusKm: Double, perDegree: Double, latFactor: Int, base: Int) -> [Int]? {
        let dLat = radiusKm / 111.2
        let dLng = radiusKm / (111.32 * max(cos(latitude * .pi / 180), 0.01))
        func index(_ degrees: Double) -> Int { Int((degrees * perDegree).rounded(.down)) }
        let lat0 = index(latitude - dLat + 90), lat1 = index(latitude + dLat + 90)
        let lng0 = index(longitude - dLng + 180), lng1 = index(longitude + dLng + 180)
        guard (lat1 - lat0 + 1) * (lng1 - lng0 + 1) <= maxCells else { return nil }
        var cells: [Int] = []
        for la in lat0...lat1 {
            for lo in lng0...lng1 { cells.append(base + la * latFactor + lo) }
        }
        return cells
    }
}
