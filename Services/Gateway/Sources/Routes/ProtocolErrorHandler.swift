import Foundation
import NIOCore
import NIOHTTP1
import ServiceKit
import TrustTradeDTO

/// What the HTTP decoder could not parse gets an answer in the error
/// envelope (NIO's own handler sends an empty 400) and the connection is
/// closed: after a framing error nobody knows where the next request starts.
/// Sits right behind the pipelining handler, as NIO's does.
final class ProtocolErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var responseUnterminated = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        // A connection that ended mid-head (the client left, or a graceful
        // shutdown closed it) has nobody to answer: writing then would also
        // trip the pipelining handler's quiescing check.
        if !responseUnterminated, context.channel.isActive, !Self.isEndOfInput(parserError) {
            let (status, code, message) = Self.answer(for: parserError)
            let envelope = ErrorEnvelope(error: ErrorBody(code: code, message: message, details: nil),
                                         meta: ResponseMeta(requestId: ProxyHandler.newRequestId()))
            let body = (try? APIJSON.encoder().encode(envelope)) ?? Data()
            let headers = HTTPHeaders([("Content-Type", "application/json; charset=utf-8"), ("Content-Length", String(body.count)),
                                       ("Connection", "close")])
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        // The decoder closes the connection once this returns.
        context.fireErrorCaught(error)
    }

    static func isEndOfInput(_ error: HTTPParserError) -> Bool {
        if case .invalidEOFState = error { return true }
        return false
    }

    static func answer(for error: HTTPParserError) -> (HTTPResponseStatus, ErrorCode, String) {
        switch error {
        case .headerOverflow:
            (.requestHeaderFieldsTooLarge, .headersTooLarge, "The request's header fields are too large or too many")
        case .invalidContentLength, .unexpectedContentLength:
            (.badRequest, .badRequest, "The request's Content-Length is invalid or ambiguous")
        case .invalidChunkSize:
            (.badRequest, .badRequest, "The request's chunked body is malformed")
        case .invalidHeaderToken, .lfExpected, .invalidCharactersUsed:
            (.badRequest, .badRequest, "The request head is malformed")
        default:
            (.badRequest, .badRequest, "The request could not be parsed as HTTP/1.1")
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code < 200: break
        case .head: responseUnterminated = true
        case .body: break
        case .end: responseUnterminated = false
        }
        context.write(data, promise: promise)
    }
}
