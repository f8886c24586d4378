import NIOCore

/// A task executor that runs jobs on a NIO event loop: with it as a task's
/// preference, the task's nonisolated code (and the resumption after each
/// await) runs on that loop's thread, next to the channels it talks to.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let loop: any EventLoop

    public init(_ loop: any EventLoop) { self.loop = loop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
