import XCTest
import Glibc
@testable import SocketCore

final class SocketTests: XCTestCase {
    func testWaitHonoursTheDeadline() throws {
        let (a, b) = try Socket.pair(family: AF_UNIX, type: Int32(SOCK_STREAM.rawValue), proto: 0, timeout: 0.05)
        let start = monotonicSeconds()
        XCTAssertThrowsError(try a.receive(upTo: 10)) { XCTAssertTrue($0 is TimeoutExpired, "\($0)") }
        XCTAssertGreaterThanOrEqual(monotonicSeconds() - start, 0.05)
        XCTAssertFalse(b.isClosed)
    }

    func testCtrlCEndsABlockingWaitAndLeavesTheSocketUsable() throws {
        Interruption.install()
        let (a, b) = try Socket.pair(family: AF_UNIX, type: Int32(SOCK_STREAM.rawValue), proto: 0, timeout: nil)
        Interruption.raise()
        XCTAssertThrowsError(try a.receive(upTo: 10)) { XCTAssertTrue($0 is Interrupted, "\($0)") }
        Interruption.clear()
        var sent = 0
        try Array("after".utf8).withUnsafeBytes { try b.sendAll($0, sent: &sent) }
        XCTAssertEqual(try a.receive(upTo: 10), Array("after".utf8))
    }

    func testNonBlockingSocketsSayEAGAIN() throws {
        let (a, b) = try Socket.pair(family: AF_UNIX, type: Int32(SOCK_STREAM.rawValue), proto: 0, timeout: 0)
        XCTAssertThrowsError(try a.receive(upTo: 10)) { XCTAssertEqual($0 as? Errno, Errno(rawValue: EAGAIN)) }
        XCTAssertFalse(b.isClosed)
    }

    func testSendToAClosedPeerIsEPIPENotSIGPIPE() throws {
        Signals.ignoreBrokenPipe()
        let (a, b) = try Socket.pair(family: AF_UNIX, type: Int32(SOCK_STREAM.rawValue), proto: 0, timeout: nil)
        try b.close()
        XCTAssertThrowsError(try Array("x".utf8).withUnsafeBytes { try a.send($0) }) {
            XCTAssertEqual($0 as? Errno, Errno(rawValue: EPIPE))
        }
    }

    func testAddressesRoundTripThroughTheKernel() throws {
        let socket = try Socket(family: AF_INET6, type: Int32(SOCK_DGRAM.rawValue), proto: 0, timeout: nil)
        try socket.bind(.ipv6(host: "::1", port: 0, flowInfo: 0, scopeID: 0))
        guard case .ipv6(let host, let port, 0, 0)? = try socket.localAddress() else { return XCTFail("not IPv6") }
        XCTAssertEqual(host, "::1")
        XCTAssertNotEqual(port, 0)
    }

    func testResolverMapsFailures() {
        XCTAssertThrowsError(try Resolver.addressInfo(host: "nosuch.invalid", service: nil)) {
            XCTAssertEqual(($0 as? ResolverError)?.code, EAI_NONAME)
        }
        XCTAssertEqual(try Resolver.numericHost(for: "127.0.0.1", family: AF_INET).host, "127.0.0.1")
        XCTAssertEqual(try Resolver.numericHost(for: "<broadcast>", family: AF_INET).host, "255.255.255.255")
        XCTAssertThrowsError(try Resolver.numericHost(for: "<broadcast>", family: AF_INET6)) {
            XCTAssertTrue($0 is AddressFamilyMismatch)
        }
        XCTAssertEqual(Resolver.servicePort(name: "http", proto: "tcp"), 80)
        XCTAssertNil(Resolver.servicePort(name: "no-such-service", proto: nil))
        XCTAssertEqual(Resolver.parseIPv4Loosely("127.1"), [127, 0, 0, 1])
    }

    /// The hand-written IPv4 formatter prints what inet_ntop(3) prints, for
    /// every byte value in every position.
    func testDottedQuadMatchesInetNtop() {
        var addresses: [[UInt8]] = [[0, 0, 0, 0], [255, 255, 255, 255], [127, 0, 0, 1]]
        for byte in 0...255 { addresses.append([UInt8(byte), UInt8(255 - byte), UInt8(byte / 2), UInt8(byte % 7 * 30)]) }
        for address in addresses {
            var expected = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            address.withUnsafeBytes { _ = inet_ntop(AF_INET, $0.baseAddress, &expected, socklen_t(expected.count)) }
            address.withUnsafeBytes { XCTAssertEqual(dottedQuad($0), String(cString: expected)) }
        }
    }

    /// The dotted-quad shortcut of bind and connect agrees with inet_pton(3)
    /// and inet_ntop(3): a name it takes as is, they give back unchanged.
    func testCanonicalDottedQuadAgreesWithInetPton() {
        var names = ["", "0.0.0.0", "127.0.0.1", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.",
                     ".1.2.3", "1..2.3", " 1.2.3.4", "1.2.3.4 ", "1.2.3.04", "1.2.3.a", "localhost", "::1", "1.2.3.4%lo",
                     "999.0.0.1", "0.0.0.00", "10.0.0.255", "1.2.3.4\0"]
        var state: UInt64 = 12345
        for _ in 0..<2000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let alphabet = Array("0123456789.".utf8) + [UInt8(ascii: "x")]
            let length = Int(state >> 60) + 1
            var bytes: [UInt8] = []
            var bits = state
            for _ in 0..<length { bytes.append(alphabet[Int(bits % UInt64(alphabet.count))]); bits /= 7 }
            names.append(String(decoding: bytes, as: UTF8.self))
        }
        for name in names {
            var address = in_addr()
            var expected = false
            if inet_pton(AF_INET, name, &address) == 1 {
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                _ = inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                expected = String(cString: text) == name
            }
            XCTAssertEqual(isCanonicalDottedQuad(name), expected, name)
        }
    }
}
