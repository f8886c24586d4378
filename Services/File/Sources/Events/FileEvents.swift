import ServiceKit
import TrustTradeDTO
import TrustTradeEvents

/// What the file service does with the events on its queue (`file`).
public enum FileEvents {
    public struct Context: Sendable {
        let storage: any BlobStorage
    }

    public static let handlers: EventHandlers<Context> = {
        var h = EventHandlers<Context>(queue: .file)
        // Deleted files' objects are removed by the queue (retried until storage answers).
        h.on(FileDeleted.self) { c, event in
            for key in event.payload.keys { try await c.storage.delete(key: key) }
        }
        return h
    }()
}
