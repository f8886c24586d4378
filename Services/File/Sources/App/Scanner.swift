import Foundation
import NIOCore
import NIOPosix

/// A virus scan before a file is visible.
public protocol FileScanner: Sendable {
    func scan(_ file: URL) async throws -> ScanResult
}

public enum ScanResult: Sendable, Equatable {
    case clean
    case infected(String)
}

public struct ScannerUnavailable: Error, CustomStringConvertible {
    public let description: String
}

/// ClamAV's clamd over TCP, INSTREAM: `zINSTREAM\0`, then chunks of a 4-byte
/// big-endian length and the bytes, a zero length to end; clamd answers
/// `stream: OK` or `stream: <signature> FOUND`.
public struct ClamdScanner: FileScanner {
    let host: String
    let port: Int
    let timeout: TimeAmount

    public init(host: String, port: Int, timeout: TimeAmount = .seconds(60)) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    public func scan(_ file: URL) async throws -> ScanResult {
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .channelInitializer { $0.pipeline.addHandler(ReplyCollector()) }
                .connect(host: host, port: port).get()
        } catch {
            throw ScannerUnavailable(description: "clamd at \(host):\(port): \(error)")
        }
        do {
            let collector = try await channel.pipeline.handler(type: ReplyCollector.self).get()
            // A stalled clamd must not hold the upload forever.
            let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                collector.reply.fail(ScannerUnavailable(description: "clamd did not answer within \(timeout)"))
                channel.close(promise: nil)
            }
            defer { deadline.cancel() }
            try await channel.writeAndFlush(ByteBuffer(bytes: Array("zINSTREAM".utf8) + [0])).get()
            let handle = try FileHandle(forReadingFrom: file)
            defer { try? handle.close() }
            while true {
                let chunk = try await NIOThreadPool.singleton.runIfActive { try handle.read(upToCount: 256 * 1024) ?? Data() }
                var frame = ByteBuffer()
                frame.writeInteger(UInt32(chunk.count), endianness: .big)
                frame.writeBytes(chunk)
                // Backpressure: wait for each chunk to be written before reading the next.
                try await channel.writeAndFlush(frame).get()
                if chunk.isEmpty { break }
            }
            let reply = try await collector.reply.futureResult.get()
            try? await channel.close()
            let text = reply.trimmingCharacters(in: CharacterSet(charactersIn: "\0\n "))
            if text.hasSuffix("OK") { return .clean }
            if text.hasSuffix("FOUND") {
                let signature = text.replacingOccurrences(of: "stream:", with: "").replacingOccurrences(of: "FOUND", with: "")
                return .infected(signature.trimmingCharacters(in: .whitespaces))
            }
            throw ScannerUnavailable(description: "clamd answered: \(text)")
        } catch let error as ScannerUnavailable {
            try? await channel.close()
            throw error
        } catch {
            try? await channel.close()
            throw ScannerUnavailable(description: "clamd at \(host):\(port): \(error)")
        }
    }

    /// Gathers clamd's answer until it closes the connection or sends the NUL.
    final class ReplyCollector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var text = ""
        var reply: EventLoopPromise<String>!

        func handlerAdded(context: ChannelHandlerContext) {
            reply = context.eventLoop.makePromise()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            // Never leave the promise open (a refused connection removes the handler first).
            reply.fail(ScannerUnavailable(description: "clamd closed the connection"))
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            text += String(buffer: buffer)
            if text.contains("\0") { reply.succeed(text) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            reply.succeed(text)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            reply.fail(error)
            context.close(promise: nil)
        }
    }
}
