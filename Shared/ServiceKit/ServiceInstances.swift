import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TrustTradeDTO

/// The instances of another service, as a setting such as `AUTH_BASE_URL`
/// names them: one base URL, or a comma-separated list of them
/// (`http://10.0.0.5:3001,http://10.0.0.6:3001`) where no load balancer or
/// Kubernetes Service stands in front (bare machines, `make run` with two of
/// each, the system test).
///
/// A call goes to the instances in turn (round robin) and moves on to the next
/// one when the connection could not be made (refused, unreachable, connect
/// timeout): the request never reached that instance, so this is safe for any
/// method. A `GET`/`HEAD` also moves on when the connection dropped before the
/// answer. Any answer, even a 5xx, is the answer. An instance that could not be
/// reached is tried last for `downFor`, so calls do not keep knocking on a dead
/// one first. With one URL nothing changes: one attempt, as before.
public final class ServiceInstances: Sendable, CustomStringConvertible {
    public let baseURLs: [String]
    private let downFor: Duration
    private let state: Mutex<State>

    private struct State {
        var next = 0
        var downUntil: [Int: ContinuousClock.Instant] = [:]
    }

    /// `list` is one URL or several separated by commas (blanks ignored,
    /// trailing slashes dropped).
    public convenience init(_ list: String, downFor: Duration = .seconds(5)) {
        self.init(baseURLs: list.split(separator: ",").map { String($0) }, downFor: downFor)
    }

    public init(baseURLs: [String], downFor: Duration = .seconds(5)) {
        let urls = baseURLs.map { $0.trimmingCharacters(in: .whitespaces).withoutTrailingSlash }.filter { !$0.isEmpty }
        precondition(!urls.isEmpty, "a service needs at least one base URL")
        self.baseURLs = urls
        self.downFor = downFor
        self.state = Mutex(State())
    }

    public var description: String { baseURLs.joined(separator: ",") }

    /// The order in which this call tries the instances: round robin, with
    /// instances that recently could not be reached moved to the end.
    func attemptOrder(now: ContinuousClock.Instant = .now) -> [Int] {
        state.withLock { s in
            let count = baseURLs.count
            let start = s.next % count
            s.next = (s.next + 1) % count
            let rotated = (0..<count).map { (start + $0) % count }
            let up = rotated.filter { (s.downUntil[$0] ?? now) <= now }
            let down = rotated.filter { (s.downUntil[$0] ?? now) > now }
            return up + down
        }
    }

    private func markDown(_ index: Int) {
        let until = ContinuousClock.now + downFor
        state.withLock { $0.downUntil[index] = until }
    }

    private func markUp(_ index: Int) {
        _ = state.withLock { $0.downUntil.removeValue(forKey: index) }
    }

    /// Runs `attempt` with an instance's base URL, moving on to the next
    /// instance as described above; throws the last error when none answered.
    public func execute<R>(method: HTTPMethod, _ attempt: (String) async throws -> R) async throws -> R {
        let order = baseURLs.count == 1 ? [0] : attemptOrder()
        var lastError: (any Error)?
        for index in order {
            try Task.checkCancellation()
            do {
                let result = try await attempt(baseURLs[index])
                markUp(index)
                return result
            } catch {
                guard Self.mayTryAnother(after: error, method: method) else { throw error }
                markDown(index)
                lastError = error
            }
        }
        throw lastError!
    }

    /// True when `error` means the request cannot have reached the instance
    /// (any method), or, for `GET`/`HEAD`, that the connection dropped before
    /// an answer.
    public static func mayTryAnother(after error: any Error, method: HTTPMethod) -> Bool {
        if connectionNotMade(error) { return true }
        return (method == .GET || method == .HEAD) && connectionDropped(error)
    }

    /// The connection was never established.
    public static func connectionNotMade(_ error: any Error) -> Bool {
        switch error {
        case is NIOConnectionError:
            return true
        case let error as HTTPClientError:
            return error == .connectTimeout
        case let error as ChannelError:
            if case .connectTimeout = error { return true }
            return false
        case let error as IOError:
            return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        default:
            return false
        }
    }

    /// The connection closed or was reset before the answer came.
    public static func connectionDropped(_ error: any Error) -> Bool {
        switch error {
        case let error as HTTPClientError:
            return error == .remoteConnectionClosed
        case let error as IOError:
            return [ECONNRESET, EPIPE].contains(error.errnoCode)
        case let error as ChannelError:
            if case .ioOnClosedChannel = error { return true }
            if case .eof = error { return true }
            return false
        default:
            return false
        }
    }
}

extension HTTPClient {
    /// The client for calls between services. A connection that cannot be
    /// made fails at once (no retries with backoff until the deadline, which
    /// the shared client does), so `ServiceInstances` can try the next
    /// instance; connecting takes at most a second on the internal network.
    public static let internalNetwork: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(1)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}
