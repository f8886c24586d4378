import ArgumentParser
import NIOCore
import NIOPosix
import Redis
import Synchronization

/// Throughput of our Redis client, measured like `redis-benchmark -c C -P P -n N -t cmd`:
/// C connections, each keeping a pipeline of P commands in flight, N commands in total.
@main
struct RedisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-bench",
        abstract: "Benchmark the TrustTrade Redis client (same workload shape as redis-benchmark).")

    @Option(help: "Redis URL (redis://[:password@]host[:port][/db]).")
    var url: String = "redis://127.0.0.1:6379"

    @Option(name: [.short, .long], help: "Number of parallel connections (redis-benchmark -c).")
    var clients: Int = 50

    @Option(name: [.customShort("P"), .long], help: "Pipeline depth (redis-benchmark -P).")
    var pipeline: Int = 16

    @Option(name: [.customShort("n"), .long], help: "Total number of requests (redis-benchmark -n).")
    var requests: Int = 1_000_000

    @Option(name: [.customShort("t"), .long], help: "Comma separated commands: SET, GET, INCR, LPUSH, RPUSH, LPOP, PING, SADD, HSET.")
    var command: String = "SET,GET"

    @Option(help: "Data size of SET/GET values in bytes (redis-benchmark -d).")
    var dataSize: Int = 3

    @Option(help: "Event loop threads (default: 1).")
    var threads: Int = 1

    @Flag(help: "Send through the RedisClient pool (pool size = clients) instead of one connection per client task.")
    var pool: Bool = false

    @Option(help: """
        Where the client tasks run: `loop` (on the event loop of their connection, like \
        redis-benchmark's single-threaded event loop; no thread hops) or `global` (Swift's \
        cooperative thread pool; every round trip hops between the pool and the event loop).
        """)
    var executor: String = "loop"

    @Flag(help: "Print only `COMMAND ops/s` lines.")
    var quiet: Bool = false

    func validate() throws {
        guard clients > 0, pipeline > 0, requests > 0, threads > 0 else {
            throw ValidationError("clients, pipeline, requests and threads must be positive")
        }
        guard executor == "loop" || executor == "global" else {
            throw ValidationError("--executor must be loop or global")
        }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var configuration = try RedisConfiguration(url: url)
        configuration.poolSize = clients
        let client = RedisClient(configuration: configuration, eventLoopGroup: group)
        var connections: [RedisConnection] = []
        if !pool {
            for _ in 0..<clients {
                connections.append(try await RedisConnection.connect(configuration: configuration, eventLoop: group.next()))
            }
        } else {
            // warm up: open every pooled connection
            try await withThrowingTaskGroup(of: Void.self) { g in
                for _ in 0..<clients * 2 { g.addTask { _ = try await client.ping() } }
                try await g.waitForAll()
            }
        }
        let value = String(repeating: "x", count: dataSize)
        for name in command.split(separator: ",").map({ $0.uppercased() }) {
            let one: [RedisArgument]
            switch name {
            case "SET": one = ["SET", "key:__rand_int__", .string(value)]
            case "GET": one = ["GET", "key:__rand_int__"]
            case "INCR": one = ["INCR", "counter:__rand_int__"]
            case "LPUSH": one = ["LPUSH", "mylist", .string(value)]
            case "RPUSH": one = ["RPUSH", "mylist", .string(value)]
            case "LPOP": one = ["LPOP", "mylist"]
            case "SADD": one = ["SADD", "myset", "element:__rand_int__"]
            case "HSET": one = ["HSET", "myhash", "element:__rand_int__", .string(value)]
            case "PING": one = ["PING"]
            default: throw ValidationError("unsupported command \(name)")
            }
            let batch = Array(repeating: one, count: pipeline)
            let totalBatches = (requests + pipeline - 1) / pipeline
            let remaining = Counter(totalBatches)
            let errors = Counter(0)
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { g in
                for i in 0..<clients {
                    let target: any RedisCommandExecutor = pool ? client : connections[i]
                    if executor == "loop" {
                        // Run the client task on an event loop (its connection's, when not pooled),
                        // so a round trip is: encode + write, read + parse, resume -- all on one thread.
                        let loop = pool ? group.next() : connections[i].eventLoop
                        g.addTask(executorPreference: EventLoopTaskExecutor(loop)) {
                            try await drive(target, batch: batch, remaining: remaining, errors: errors)
                        }
                    } else {
                        g.addTask {
                            try await drive(target, batch: batch, remaining: remaining, errors: errors)
                        }
                    }
                }
                try await g.waitForAll()
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let done = totalBatches * pipeline
            let ops = Double(done) / seconds
            if quiet {
                print("\(name) \(Int(ops))")
            } else {
                print("\(name): \(String(format2: ops)) requests per second (\(done) requests, \(clients) clients, pipeline \(pipeline), \(String(format2: seconds)) s\(errors.value.load(ordering: .relaxed) > 0 ? ", \(errors.value.load(ordering: .relaxed)) error batches" : ""))")
            }
        }
        for c in connections { await c.close() }
        await client.close()
        try await group.shutdownGracefully()
    }
}

extension String {
    init(format2 value: Double) {
        let scaled = (value * 100).rounded() / 100
        self = String(scaled)
    }
}

/// Sends `batch` as one pipeline until `remaining` batches are used up. Runs on the
/// caller's executor (`nonisolated(nonsending)`), like the client API it calls.
nonisolated(nonsending) func drive(
    _ target: any RedisCommandExecutor, batch: [[RedisArgument]], remaining: Counter, errors: Counter
) async throws {
    while remaining.value.subtract(1, ordering: .relaxed).newValue >= 0 {
        let replies = try await target.pipeline(batch)
        for r in replies {
            if case .error = r {
                errors.value.add(1, ordering: .relaxed)
                break
            }
        }
    }
}

final class Counter: Sendable {
    let value: Atomic<Int>
    init(_ v: Int) { value = Atomic(v) }
}

