/// Watches the raw bytes of a request head before the HTTP decoder sees
/// them, for what the decoder does not limit: the request line's length
/// (a URL of a megabyte would be buffered whole) and the head's size as
/// sent. It also tells when a head has started, which starts the head's
/// deadline. Between a head's end and the request's end (body, and any
/// pipelined bytes that came in the same read) it does not count: the
/// decoder's framing decides those, and the next head is counted from the
/// next read after the request ended.
public struct HeadScanner: Sendable {
    public struct Limits: Sendable, Equatable {
        public var maxHeadBytes: Int
        public var maxLineBytes: Int

        public init(maxHeadBytes: Int, maxLineBytes: Int) {
            self.maxHeadBytes = maxHeadBytes
            self.maxLineBytes = maxLineBytes
        }
    }

    enum State: Equatable, Sendable {
        /// Between requests: only empty lines seen (RFC 9112 §2.2 lets a
        /// server skip them).
        case awaiting
        case inHead
        /// A head was complete; waiting for the request's end.
        case inMessage
    }

    public enum Outcome: Equatable, Sendable {
        case ok
        /// The first byte of a head arrived in this read.
        case headStarted
        case headTooLarge
        case lineTooLong
    }

    public let limits: Limits
    private(set) var state = State.awaiting
    private var headBytes = 0
    private var lineBytes = 0

    public init(limits: Limits) {
        self.limits = limits
    }

    public var isAwaitingHead: Bool { state == .awaiting }
    public var isInHead: Bool { state == .inHead }

    /// The request that the last head began has ended: count the next one.
    public mutating func requestEnded() {
        state = .awaiting
        headBytes = 0
        lineBytes = 0
    }

    public mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        var outcome = Outcome.ok
        for byte in bytes {
            switch state {
            case .inMessage:
                return outcome
            case .awaiting:
                if byte == 0x0D || byte == 0x0A { continue }
                state = .inHead
                outcome = .headStarted
                fallthrough
            case .inHead:
                headBytes += 1
                if headBytes > limits.maxHeadBytes { return .headTooLarge }
                if byte == 0x0A {
                    // An empty line (CR LF or a lone LF) ends the head.
                    if lineBytes == 0 {
                        state = .inMessage
                        return outcome
                    }
                    lineBytes = 0
                } else if byte != 0x0D {
                    // CR is not counted; the decoder checks where it stands.
                    lineBytes += 1
                    if lineBytes > limits.maxLineBytes { return .lineTooLong }
                }
            }
        }
        return outcome
    }
}
