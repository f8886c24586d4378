import Synchronization

/// Wakes waiting tasks one at a time. A signal that finds nobody waiting is kept
/// (up to `maxPermits`) for the next waiter, so a wake-up is never lost.
final class WakeSignal: Sendable {
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var permits = 0
        var waiters: [Waiter] = []
        var cancelled: Set<Int> = []
        var nextId = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let maxPermits: Int
    /// Signalled each time a task starts waiting (after it is registered).
    private let onWait: WakeSignal?

    init(maxPermits: Int = 1, onWait: WakeSignal? = nil) {
        self.maxPermits = maxPermits
        self.onWait = onWait
    }

    /// Tasks currently waiting.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Waits for a signal. False when closed or the task is cancelled.
    func wait() async -> Bool {
        let id = state.withLock { s -> Int in
            s.nextId += 1
            return s.nextId
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let immediate: Bool? = state.withLock { s in
                    if s.closed { return false }
                    if s.cancelled.remove(id) != nil { return false }
                    if s.permits > 0 {
                        s.permits -= 1
                        return true
                    }
                    s.waiters.append(Waiter(id: id, continuation: c))
                    return nil
                }
                if let immediate {
                    c.resume(returning: immediate)
                } else {
                    onWait?.signal()
                }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Bool, Never>? in
                if let i = s.waiters.firstIndex(where: { $0.id == id }) {
                    return s.waiters.remove(at: i).continuation
                }
                s.cancelled.insert(id)
                return nil
            }
            c?.resume(returning: false)
        }
    }

    /// Wakes one waiter, or keeps the signal for the next one.
    func signal() {
        let c = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            if !s.waiters.isEmpty { return s.waiters.removeFirst().continuation }
            if s.permits < maxPermits { s.permits += 1 }
            return nil
        }
        c?.resume(returning: true)
    }

    /// Wakes one waiter if there is one; otherwise does nothing.
    func signalIfWaiting() {
        let c = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            s.waiters.isEmpty ? nil : s.waiters.removeFirst().continuation
        }
        c?.resume(returning: true)
    }

    /// Wakes everybody with `false`; later waits return false at once.
    func close() {
        let all = state.withLock { s -> [Waiter] in
            s.closed = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in all { w.continuation.resume(returning: false) }
    }
}
