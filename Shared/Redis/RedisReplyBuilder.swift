import CHiredis

/// Builds `RedisValue`s directly from hiredis' parser callbacks.
///
/// hiredis' default reader allocates a `redisReply` tree (a calloc per node plus a copy
/// of every string), which we then converted to `RedisValue` and freed again. With a
/// custom `redisReplyObjectFunctions` table the parser hands each item straight to us:
/// scalars become `RedisValue`s at once, arrays are assembled on a small stack (RESP is
/// depth-first, so the innermost unfinished array is always the parent of the next item).
/// hiredis only needs a non-NULL "object" pointer back, so every callback returns the
/// builder's own address and `freeObject` does nothing.
///
/// Lives as long as its reader (the reader's privdata points to it, unretained).
/// Only touched on the channel's event loop.
final class RedisReplyBuilder {
    private struct PartialArray {
        var values: [RedisValue]
        let expected: Int
    }

    /// Unfinished arrays, outermost first.
    @exclusivity(unchecked) private var stack: [PartialArray] = []
    /// The last complete top-level reply.
    @exclusivity(unchecked) private var result: RedisValue = .null

    init() {}

    /// The reply completed by the last successful `redisReaderGetReply`.
    @inline(__always)
    func takeResult() -> RedisValue {
        var r = RedisValue.null
        swap(&r, &result)
        return r
    }

    /// Drops partial state after a protocol error.
    func reset() {
        stack.removeAll()
        result = .null
    }

    @inline(__always)
    fileprivate func add(_ value: RedisValue, hasParent: Bool) {
        if !hasParent || stack.isEmpty {
            result = value
            return
        }
        var value = value
        while true {
            let top = stack.count - 1
            stack[top].values.append(value)
            if stack[top].values.count < stack[top].expected { return }
            // this array is complete: it becomes an element of its parent (or the reply)
            value = .array(stack.removeLast().values)
            if stack.isEmpty {
                result = value
                return
            }
        }
    }

    @inline(__always)
    fileprivate func beginArray(count: Int, hasParent: Bool) {
        if count <= 0 {
            add(.array([]), hasParent: hasParent)
            return
        }
        var values: [RedisValue] = []
        values.reserveCapacity(count)
        stack.append(PartialArray(values: values, expected: count))
    }

    // MARK: hiredis glue

    /// A reader whose replies are built by `builder` (which must outlive it).
    static func makeReader(for builder: RedisReplyBuilder) -> UnsafeMutablePointer<redisReader>? {
        guard let reader = redisReaderCreateWithFunctions(functions) else { return nil }
        reader.pointee.privdata = Unmanaged.passUnretained(builder).toOpaque()
        return reader
    }

    /// The callback table; hiredis keeps the pointer, so it lives for the whole process.
    nonisolated(unsafe) private static let functions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
        let fn = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
        fn.initialize(
            to: redisReplyObjectFunctions(
                createString: { task, str, len in
                    guard let task else { return nil }
                    let (builder, hasParent) = RedisReplyBuilder.context(task)
                    let bytes = UnsafeRawBufferPointer(start: str, count: str == nil ? 0 : len)
                    let value: RedisValue
                    switch task.pointee.type {
                    case REDIS_REPLY_STATUS:
                        // "+OK" is by far the most common status: skip the UTF-8 validation.
                        if bytes.count == 2, bytes[0] == UInt8(ascii: "O"), bytes[1] == UInt8(ascii: "K") {
                            value = RedisReplyBuilder.ok
                        } else {
                            value = .simpleString(String(decoding: bytes, as: UTF8.self))
                        }
                    case REDIS_REPLY_ERROR:
                        value = .error(.server(String(decoding: bytes, as: UTF8.self)))
                    default:
                        value = .bulkString(bytes.count == 0 ? [] : [UInt8](bytes))
                    }
                    builder.add(value, hasParent: hasParent)
                    return Unmanaged.passUnretained(builder).toOpaque()
                },
                createArray: { task, count in
                    guard let task else { return nil }
                    let (builder, hasParent) = RedisReplyBuilder.context(task)
                    builder.beginArray(count: Int(count), hasParent: hasParent)
                    return Unmanaged.passUnretained(builder).toOpaque()
                },
                createInteger: { task, value in
                    guard let task else { return nil }
                    let (builder, hasParent) = RedisReplyBuilder.context(task)
                    builder.add(.integer(Int64(value)), hasParent: hasParent)
                    return Unmanaged.passUnretained(builder).toOpaque()
                },
                createNil: { task in
                    guard let task else { return nil }
                    let (builder, hasParent) = RedisReplyBuilder.context(task)
                    builder.add(.null, hasParent: hasParent)
                    return Unmanaged.passUnretained(builder).toOpaque()
                },
                freeObject: { _ in }
            ))
        return fn
    }()

    private static let ok = RedisValue.simpleString("OK")

    @inline(__always)
    private static func context(_ task: UnsafePointer<redisReadTask>) -> (RedisReplyBuilder, Bool) {
        let builder = Unmanaged<RedisReplyBuilder>.fromOpaque(task.pointee.privdata!).takeUnretainedValue()
        return (builder, task.pointee.parent != nil)
    }
}
