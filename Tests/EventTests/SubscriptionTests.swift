import AIService
import AuthService
import CoreService
import FileService
import Foundation
import NotificationService
import PaymentService
import TrustTradeEvents
import XCTest

/// The subscription table against the services' handler registries, the
/// deployment manifest and the architecture document. No database needed.
final class SubscriptionTests: XCTestCase {
    /// What each queue's service handles, by the same registration functions the workers use.
    static let handled: [(module: String, queue: EventQueue, events: [String])] = [
        ("AuthService", AuthEvents.handlers.queue, AuthEvents.handlers.events),
        ("CoreService", CoreEvents.handlers.queue, CoreEvents.handlers.events),
        ("PaymentService", PaymentEvents.handlers.queue, PaymentEvents.handlers.events),
        ("NotificationService", NotificationEvents.handlers.queue, NotificationEvents.handlers.events),
        ("FileService", FileEvents.handlers.queue, FileEvents.handlers.events),
        ("AIService", AIEvents.handlers.queue, AIEvents.handlers.events),
    ]

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testEveryQueueHasOneService() {
        XCTAssertEqual(Set(Self.handled.map(\.queue)), Set(EventQueue.allCases))
        XCTAssertEqual(Self.handled.count, EventQueue.allCases.count)
    }

    func testEverySubscriptionHasAHandlerAndEveryHandlerAProducer() {
        XCTAssertEqual(Set(Subscriptions.table.map(\.name)).count, Subscriptions.table.count, "an event is listed twice")
        for entry in Subscriptions.table {
            XCTAssertFalse(entry.queues.isEmpty, "\(entry.name) goes nowhere")
            XCTAssertEqual(Set(entry.queues).count, entry.queues.count, "\(entry.name) lists a queue twice")
        }
        for service in Self.handled {
            let subscribed = Set(Subscriptions.events(on: service.queue))
            for name in subscribed.subtracting(service.events).sorted() {
                XCTFail("\(name) is written to `\(service.queue.name)` but \(service.module) has no handler for it")
            }
            for name in Set(service.events).subtracting(subscribed).sorted() {
                XCTFail("\(service.module) handles \(name) but the table sends it no such event on `\(service.queue.name)`")
            }
        }
    }

    /// deploy/services.json names the queues each service consumes: the same as its registry's.
    func testTheDeploymentManifestListsTheSameQueues() throws {
        struct Manifest: Decodable {
            struct Service: Decodable { var module: String?; var queues: [String]? }
            var services: [Service]
        }
        let data = try Data(contentsOf: Self.repository.appendingPathComponent("deploy/services.json"))
        let manifest = try JSONDecoder().decode(Manifest.self, from: data)
        for service in Self.handled {
            let listed = manifest.services.first { $0.module == service.module }
            XCTAssertEqual(listed?.queues, [service.queue.name], "deploy/services.json: \(service.module)'s queues")
        }
        let consumed = Set(manifest.services.flatMap { $0.queues ?? [] })
        XCTAssertEqual(consumed, Set(EventQueue.allCases.map(\.name)), "deploy/services.json: queues nobody or no table knows")
    }

    /// The event section of docs/architecture.md is rendered from the table;
    /// `UPDATE_ARCHITECTURE_DOC=1 swift test --filter SubscriptionTests` rewrites it.
    func testTheArchitectureDocumentShowsTheCurrentTable() throws {
        let begin = "<!-- BEGIN GENERATED: event table (Subscriptions.markdown(); see Tests/EventTests) -->\n"
        let end = "<!-- END GENERATED: event table -->"
        let url = Self.repository.appendingPathComponent("docs/architecture.md")
        let document = try String(contentsOf: url, encoding: .utf8)
        guard let start = document.range(of: begin), let stop = document.range(of: end, range: start.upperBound..<document.endIndex) else {
            return XCTFail("docs/architecture.md has no generated event table section (\(begin.trimmingCharacters(in: .newlines)) ... \(end))")
        }
        let current = Subscriptions.markdown()
        if document[start.upperBound..<stop.lowerBound] == current { return }
        if ProcessInfo.processInfo.environment["UPDATE_ARCHITECTURE_DOC"] == "1" {
            try (document[..<start.upperBound] + current + document[stop.lowerBound...]).write(to: url, atomically: true, encoding: .utf8)
            return
        }
        XCTFail("docs/architecture.md's event table is stale: run UPDATE_ARCHITECTURE_DOC=1 swift test --filter SubscriptionTests")
    }
}
