import FileService
import Foundation
import VipsShim

// Part of `make bench-files`: the time to turn a 12-megapixel photo into what
// an upload keeps (a metadata-free original and WebP at 1600 and 400 px),
// median of 5, next to the same work decoding the whole photo first (no
// shrink-on-load: what a naive resize does).
let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tt-file-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }
let photo = work.appendingPathComponent("photo.jpg")
_ = tt_vips_start()
guard tt_vips_make_sample(photo.path, 4000, 3000) == 0 else { fatalError("could not make the sample photo") }
let bytes = (try FileManager.default.attributesOfItem(atPath: photo.path)[.size] as? NSNumber)?.intValue ?? 0
print(String(format: "sample photo: 4000×3000 JPEG, %.1f MB", Double(bytes) / 1_048_576))

let images = try ImageProcessor()
func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

var ours: [Double] = []
for round in 0..<5 {
    let start = ContinuousClock.now
    let clean = work.appendingPathComponent("clean-\(round).jpg")
    try await images.stripped(photo, to: clean)
    for variant in ImageProcessor.variants { _ = try await images.webp(clean, size: variant.size) }
    ours.append(ms(ContinuousClock.now - start))
}
// The reference: decode the whole photo to a PNG, then make the variants from it.
var reference: [Double] = []
for round in 0..<3 {
    let start = ContinuousClock.now
    let decoded = work.appendingPathComponent("decoded-\(round).png")
    try await images.stripped(photo, to: decoded)
    for variant in ImageProcessor.variants { _ = try await images.webp(decoded, size: variant.size) }
    reference.append(ms(ContinuousClock.now - start))
}
print(String(format: "%-58@ %8.0f ms", "clean original + WebP 1600 + 400 (ours, shrink-on-load)" as NSString, median(ours)))
print(String(format: "%-58@ %8.0f ms", "same from a fully decoded copy (reference)" as NSString, median(reference)))
