import Dispatch
import EmberCore
import EmberTestSupport
import Foundation
import Glibc
import Synchronization
import XCTest

@testable import EmberExposition

/// The connection limit under pressure: which connection makes room for a new one, when a new one gets
/// 503, many idle connections beside scrapers, and running out of file descriptors.
final class HTTPConnectionLimitTests: HTTPServerTestCase {
    /// Lets the server's loop thread handle what the test just sent.
    private func settle() {
        usleep(100_000)
    }

    /// At the limit, the connection that has waited longest for a request goes first, whether it sent
    /// nothing, part of a request or had its last request answered.
    func testEvictsLongestWaitingFirst() throws {
        let port = try startServer { $0.maxConnections = 3 }
        let silent = try TestHTTPClient(port: port)
        settle()
        let partial = try TestHTTPClient(port: port)
        partial.send("GET /echo HTTP/1.1\r\n")
        settle()
        let idle = try TestHTTPClient(port: port)
        idle.send(get("/echo"))
        XCTAssertEqual(idle.readResponse()?.status, 200)
        settle()

        let first = try TestHTTPClient(port: port)
        settle()
        XCTAssertTrue(silent.isClosedByServer(), "the connection silent since the oldest accept goes first")

        let second = try TestHTTPClient(port: port)
        settle()
        XCTAssertTrue(partial.isClosedByServer(), "the request started before the idle one's response goes next")

        idle.send(get("/echo"))
        XCTAssertEqual(idle.readResponse()?.status, 200, "the connection idle for the shortest time stays")
        for client in [first, second] {
            client.send(get("/echo"))
            XCTAssertEqual(client.readResponse()?.status, 200)
        }
    }

    /// Slow clients holding every slot with incomplete requests lose the oldest slot to a new client.
    func testPartialRequestsMakeRoomForScrape() throws {
        let port = try startServer { $0.maxConnections = 2 }
        let slow = try [TestHTTPClient(port: port), TestHTTPClient(port: port)]
        for client in slow {
            client.send("GET /echo HTTP/1.1\r\n")
            settle()
        }

        let scraper = try TestHTTPClient(port: port)
        scraper.send(get("/echo"))

        XCTAssertEqual(scraper.readResponse()?.status, 200)
        XCTAssertTrue(slow[0].isClosedByServer(), "the oldest incomplete request made room")
        slow[1].send("Host: t\r\n\r\n")
        XCTAssertEqual(slow[1].readResponse()?.status, 200)
    }

    /// When every connection has had a response in flight for less than a second, none is closed for a new
    /// one, which gets 503.
    func testRejects503WhenEveryResponseInFlight() throws {
        let port = try startServer { $0.maxConnections = 2 }
        let busy = try [TestHTTPClient(port: port), TestHTTPClient(port: port)]
        for client in busy {
            client.send(get("/huge"))
        }
        settle()

        let rejected = try TestHTTPClient(port: port)
        rejected.send(get("/echo"))

        let response = rejected.readResponse()
        XCTAssertEqual(response?.status, 503)
        XCTAssertEqual(response?.headers["connection"], "close")
        XCTAssertTrue(rejected.isClosedByServer())
        XCTAssertEqual(busy[0].readResponse()?.body.count, 32 << 20, "the busy connection was not disturbed")
    }

    /// A client that reads its response slowly keeps its slot only until a new connection needs it a second
    /// or more after the response started: then the one sending longest is closed.
    func testSlowReaderMakesRoomAfterOneSecond() throws {
        let port = try startServer { $0.maxConnections = 2 }
        let slowReaders = try [TestHTTPClient(port: port), TestHTTPClient(port: port)]
        for client in slowReaders {
            client.send(get("/huge"))
            settle()
        }
        usleep(1_000_000)

        let scraper = try TestHTTPClient(port: port)
        scraper.send(get("/echo"))

        XCTAssertEqual(scraper.readResponse()?.status, 200)
        XCTAssertTrue(slowReaders[0].isClosedAfterDraining(), "the reader sending longest made room")
        XCTAssertEqual(slowReaders[1].readResponse()?.body.count, 32 << 20, "the other reader was not disturbed")
    }

    /// 1000 connections that never send a request, 500 opened before and 500 during the scrapes, cost the
    /// 8 scrapers no failed scrape: each new connection closes the oldest unused one.
    func testThousandIdleConnectionsDoNotBlockScrapers() throws {
        _ = DescriptorBudget.raiseSoftLimit()  // 1000 client sockets exceed a soft limit of 1024 with the rest
        let port = try startServer()
        let idle = ClientPool()
        for _ in 0..<500 {
            idle.add(try TestHTTPClient(port: port))
        }

        let openingDone = Atomic<Bool>(false)
        DispatchQueue.global().async {
            for _ in 0..<500 {
                guard let client = try? TestHTTPClient(port: port) else { continue }
                idle.add(client)
            }
            openingDone.store(true, ordering: .releasing)
        }
        let failures = Mutex<[String]>([])
        let scrapes = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { scraper in
            var count = 0
            while count < 20 || !openingDone.load(ordering: .acquiring) {
                if let failure = Self.scrapeFailure(port: port) {
                    failures.withLock { $0.append("scraper \(scraper), scrape \(count): \(failure)") }
                }
                count += 1
                usleep(10_000)
            }
            scrapes.add(count, ordering: .relaxed)
        }

        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertGreaterThanOrEqual(scrapes.load(ordering: .relaxed), 160)
        XCTAssertEqual(idle.count, 1000)
    }

    private static func scrapeFailure(port: UInt16) -> String? {
        guard let client = try? TestHTTPClient(port: port) else { return "connect failed" }
        client.send(HTTPTestServer.get("/echo?scrape"))
        guard let response = client.readResponse() else { return "no response" }
        guard response.status == 200 else { return "status \(response.status)" }
        return response.text == "GET /echo?scrape\n" ? nil : "body \(response.text.debugDescription)"
    }

    /// With no descriptor left, accept fails with EMFILE. The loop pauses accepting instead of spinning,
    /// logs the failure once, and serves the waiting client once a descriptor is free again.
    /// NOTE: this lowers the whole test process's RLIMIT_NOFILE for 0.6 s, so it must not run in parallel
    /// with other tests (`swift test --parallel`).
    func testAcceptBacksOffWhenOutOfDescriptors() throws {
        let sink = RecordingLogSink()
        let port = try startServer(logger: Logger(level: .warn, sink: sink))
        let client = try TestHTTPClient(port: port, connectLater: true)

        let exhaustion = try DescriptorExhaustion()
        try client.connect()
        let cpuBefore = Self.processCPUSeconds()
        usleep(600_000)
        let cpuDuring = Self.processCPUSeconds() - cpuBefore
        exhaustion.release()

        client.send(get("/echo"))
        XCTAssertEqual(client.readResponse()?.status, 200)
        XCTAssertLessThan(cpuDuring, 0.3, "the loop spun on the readable listener")
        let failures = sink.lines(containing: "failed to accept an HTTP connection")
        XCTAssertEqual(failures.count, 1, "\(failures)")
        XCTAssertTrue(failures.first?.contains("Too many open files") ?? false, "\(failures)")
    }

    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let total = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
        return Double(total) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    func testStatisticsCountClosesAndResponses() throws {
        let port = try startServer {
            $0.maxConnections = 1
            $0.readTimeout = .milliseconds(200)
        }
        let first = try TestHTTPClient(port: port)
        first.send(get("/echo"))
        XCTAssertEqual(first.readResponse()?.status, 200)
        let second = try TestHTTPClient(port: port)
        second.send(get("/missing"))
        XCTAssertEqual(second.readResponse()?.status, 404)
        XCTAssertTrue(first.isClosedByServer())
        let third = try TestHTTPClient(port: port)
        third.send("GET /echo HTTP/1.1\r\n")
        XCTAssertEqual(third.readResponse()?.status, 408)
        settle()

        let samples = try XCTUnwrap(server).statistics.samples()
        func value(_ name: String, _ labels: [String] = []) -> Double? {
            samples.first { $0.descriptor.name == name && $0.labelValues == labels }?.value
        }
        XCTAssertEqual(value("ember_http_connections_accepted_total"), 3)
        XCTAssertEqual(value("ember_http_connections_closed_total", ["evicted"]), 2, "first, then second")
        XCTAssertEqual(value("ember_http_connections_closed_total", ["read_timeout"]), 1)
        XCTAssertEqual(value("ember_http_connections_closed_total", ["rejected"]), 0)
        XCTAssertEqual(value("ember_http_connections_closed_total", ["write_timeout"]), 0)
        XCTAssertEqual(value("ember_http_responses_total", ["200"]), 1)
        XCTAssertEqual(value("ember_http_responses_total", ["404"]), 1)
        XCTAssertEqual(value("ember_http_responses_total", ["408"]), 1)
        XCTAssertEqual(value("ember_http_accept_errors_total"), 0)
        XCTAssertNotNil(value("ember_http_open_connections"))
    }

    func testConnectionLimitFitsOpenFileLimit() {
        XCTAssertEqual(DescriptorBudget.connectionLimit(configured: 64, openFileLimit: 1024), 64)
        XCTAssertEqual(DescriptorBudget.connectionLimit(configured: 1000, openFileLimit: 1024), 480)
        XCTAssertEqual(DescriptorBudget.connectionLimit(configured: 64, openFileLimit: 100), 18)
        XCTAssertEqual(DescriptorBudget.connectionLimit(configured: 64, openFileLimit: 10), 1)
        XCTAssertEqual(DescriptorBudget.connectionLimit(configured: 64, openFileLimit: .max), 64)
    }

    func testRaiseSoftLimitReachesHardLimit() throws {
        let change = try XCTUnwrap(DescriptorBudget.raiseSoftLimit())
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)

        XCTAssertEqual(limit.rlim_cur, limit.rlim_max)
        XCTAssertEqual(change.current, UInt64(limit.rlim_max))
        XCTAssertLessThanOrEqual(change.previous, change.current)
    }

    func testServerLowersLimitAndWarns() throws {
        let sink = RecordingLogSink()
        let softLimit = DescriptorBudget.softLimit()
        try XCTSkipIf(softLimit > 1 << 40, "the open-file limit is unlimited")

        let port = try startServer(logger: Logger(level: .warn, sink: sink)) {
            $0.maxConnections = Int(softLimit)
        }

        let warnings = sink.lines(containing: "lowered the connection limit")
        XCTAssertEqual(warnings.count, 1)
        let expected = DescriptorBudget.connectionLimit(configured: Int(softLimit), openFileLimit: softLimit)
        XCTAssertTrue(warnings.first?.contains("effective=\(expected)") ?? false, "\(warnings)")
        let client = try TestHTTPClient(port: port)
        client.send(get("/echo"))
        XCTAssertEqual(client.readResponse()?.status, 200)
    }
}

/// Keeps client connections open until the test ends. Clients are added from several threads.
private final class ClientPool: @unchecked Sendable {
    private let lock = NSLock()
    private var clients: [TestHTTPClient] = []

    func add(_ client: TestHTTPClient) {
        lock.withLock { clients.append(client) }
    }

    var count: Int {
        lock.withLock { clients.count }
    }
}

/// Uses up every free descriptor below a lowered soft RLIMIT_NOFILE, so the next socket or accept fails with
/// EMFILE; ``release()`` restores both.
private final class DescriptorExhaustion {
    private var original = rlimit()
    private var fillers: [Int32] = []

    init() throws {
        let entries = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        let highest = entries.compactMap { Int32($0) }.max()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &original)
        var lowered = original
        lowered.rlim_cur = rlim_t((highest ?? 0) + 8)
        guard setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lowered) == 0 else {
            throw XCTSkip("cannot lower RLIMIT_NOFILE: errno \(errno)")
        }

        while true {
            let descriptor = open("/dev/null", O_RDONLY)
            guard descriptor >= 0 else { break }
            fillers.append(descriptor)
        }
    }

    func release() {
        fillers.forEach { Glibc.close($0) }
        fillers.removeAll()
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &original)
    }

    deinit {
        release()
    }
}
