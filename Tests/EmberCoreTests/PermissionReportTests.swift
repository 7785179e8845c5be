import Dispatch
import EmberCore
import EmberTestSupport
import XCTest

/// Records permission errors for the paths in `denied`, which a test changes between samples.
private final class DenyingCollector: Collector {
    var denied: [(path: String, grantedBy: String?)]
    var failure: (any Error)?

    init(_ denied: [(path: String, grantedBy: String?)]) {
        self.denied = denied
    }

    func update(into sink: inout MetricSink) throws {
        if let failure {
            throw failure
        }
        for (path, grantedBy) in denied {
            let error = FileError(operation: "open", path: path, code: EACCES)
            if let grantedBy {
                sink.record(error, grantedBy: grantedBy)
            } else {
                sink.record(error)
            }
        }
    }
}

private final class StuckCollector: Collector {
    let release = DispatchSemaphore(value: 0)

    func update(into sink: inout MetricSink) throws {
        release.wait()
    }
}

final class PermissionReportTests: XCTestCase {
    private static let nvme = "/dev/nvme0"
    private static let cpufreq = "/sys/cpu0/cpuinfo_cur_freq"
    private static let i2c = "/dev/i2c-0"

    private var tree: [String: FileOwnership] = [
        "/": FileOwnership(userID: 0, groupID: 0, mode: 0o755),
        "/dev": FileOwnership(userID: 0, groupID: 0, mode: 0o755),
        "/sys": FileOwnership(userID: 0, groupID: 0, mode: 0o755),
        "/sys/cpu0": FileOwnership(userID: 0, groupID: 0, mode: 0o755),
        nvme: FileOwnership(userID: 0, groupID: 6, mode: 0o660),
        cpufreq: FileOwnership(userID: 0, groupID: 0, mode: 0o400),
        i2c: FileOwnership(userID: 0, groupID: 44, mode: 0o660),
    ]
    private let log = RecordingLogSink()

    private func makeSampler(_ collectors: [(name: String, collector: any Collector)], timeout: Double = 1) -> Sampler {
        let privileges = PrivilegeInspection(
            credentials: {
                ProcessCredentials(
                    userID: 65534, groupID: 65534, supplementaryGroupIDs: [], capabilities: CapabilitySet(mask: 0))
            },
            ownership: { [unowned self] in self.tree[$0] })
        return Sampler(
            collectors: collectors,
            configuration: Sampler.Configuration(intervalSeconds: 1, timeoutSeconds: timeout, version: "test"),
            logger: Logger(level: .debug, sink: log), privileges: privileges)
    }

    private func availability(_ snapshot: Snapshot) -> [[String]: Double] {
        var values: [[String]: Double] = [:]
        for sample in snapshot.samples where sample.descriptor.name == "ember_source_available" {
            values[sample.labelValues] = sample.value
        }
        return values
    }

    func testReportIsWrittenOnceAtStart() {
        let sampler = makeSampler([
            ("nvme", DenyingCollector([(Self.nvme, "CAP_SYS_ADMIN")])),
            ("cpufreq", DenyingCollector([(Self.cpufreq, nil), (Self.cpufreq, nil)])),
        ])

        for _ in 0..<3 {
            _ = sampler.sampleOnce()
        }

        let header = log.lines(containing: "privileges at start")
        XCTAssertEqual(header.count, 1)
        XCTAssertTrue(header.first?.contains("user=nobody uid=65534") ?? false, "\(header)")
        XCTAssertTrue(header.first?.contains("capabilities=none") ?? false, "\(header)")
        XCTAssertTrue(header.first?.contains("unreadable_sources=2") ?? false, "\(header)")
        let sources = log.lines(containing: "source not readable by this user")
        XCTAssertEqual(sources.count, 2)
        XCTAssertTrue(sources.first?.contains("collector=cpufreq") ?? false, "sorted by collector: \(sources)")
        XCTAssertTrue(sources.first?.contains("needs=root") ?? false, "\(sources)")
        XCTAssertTrue(sources.last?.contains("needs=CAP_SYS_ADMIN+group:disk") ?? false, "\(sources)")
    }

    func testReportWithoutDeniedSources() {
        let sampler = makeSampler([("nvme", DenyingCollector([]))])

        _ = sampler.sampleOnce()
        _ = sampler.sampleOnce()

        XCTAssertEqual(log.lines(containing: "privileges at start").count, 1)
        XCTAssertTrue(log.lines(containing: "privileges at start")[0].contains("unreadable_sources=0"))
        XCTAssertTrue(log.lines(containing: "not readable").isEmpty)
    }

    func testMetricNamesWhatReadingNeeds() {
        let sampler = makeSampler([
            ("nvme", DenyingCollector([(Self.nvme, "CAP_SYS_ADMIN")])),
            ("hwmon", DenyingCollector([(Self.i2c, nil)])),
        ])

        let snapshot = sampler.sampleOnce()

        XCTAssertEqual(availability(snapshot), [
            ["nvme", Self.nvme, "CAP_SYS_ADMIN+group:disk"]: 0,
            ["hwmon", Self.i2c, "group:video"]: 0,
        ])
    }

    func testDenialAfterReportIsLoggedOnce() {
        let collector = DenyingCollector([])
        let sampler = makeSampler([("cpufreq", collector)])
        _ = sampler.sampleOnce()

        collector.denied = [(Self.cpufreq, nil)]
        _ = sampler.sampleOnce()
        _ = sampler.sampleOnce()

        XCTAssertEqual(log.lines(containing: "privileges at start").count, 1)
        XCTAssertEqual(log.lines(containing: "source not readable by this user").count, 1)
    }

    func testReadableSourceIsLoggedOnce() {
        let collector = DenyingCollector([(Self.cpufreq, nil)])
        let sampler = makeSampler([("cpufreq", collector)])
        _ = sampler.sampleOnce()

        collector.denied = []
        let recovered = sampler.sampleOnce()
        _ = sampler.sampleOnce()

        XCTAssertEqual(log.lines(containing: "source is readable now").count, 1)
        XCTAssertTrue(log.lines(containing: "source is readable now")[0].contains("path=\(Self.cpufreq)"))
        XCTAssertEqual(availability(recovered), [:])
    }

    func testVanishedSourceIsNotCalledReadable() {
        let collector = DenyingCollector([(Self.cpufreq, nil)])
        let sampler = makeSampler([("cpufreq", collector)])
        _ = sampler.sampleOnce()

        tree[Self.cpufreq] = nil
        collector.denied = []
        _ = sampler.sampleOnce()

        XCTAssertTrue(log.lines(containing: "source is readable now").isEmpty)
    }

    func testFailedRunKeepsDenial() {
        let collector = DenyingCollector([(Self.cpufreq, nil)])
        let sampler = makeSampler([("cpufreq", collector)])
        _ = sampler.sampleOnce()

        collector.failure = FileError(operation: "opendir", path: "/sys/cpu0", code: EIO)
        _ = sampler.sampleOnce()
        collector.failure = nil
        _ = sampler.sampleOnce()

        XCTAssertTrue(log.lines(containing: "source is readable now").isEmpty)
        XCTAssertEqual(log.lines(containing: "source not readable by this user").count, 1)
    }

    func testReportWaitsForStuckCollector() {
        let stuck = StuckCollector()
        let sampler = makeSampler(
            [("stuck", stuck), ("cpufreq", DenyingCollector([(Self.cpufreq, nil)]))], timeout: 0.02)
        defer { stuck.release.signal() }

        for cycle in 1..<5 {
            _ = sampler.sampleOnce()
            XCTAssertTrue(log.lines(containing: "privileges at start").isEmpty, "cycle \(cycle)")
        }
        _ = sampler.sampleOnce()

        let header = log.lines(containing: "privileges at start")
        XCTAssertEqual(header.count, 1)
        XCTAssertTrue(header.first?.contains("not_finished=stuck") ?? false, "\(header)")
        XCTAssertEqual(log.lines(containing: "source not readable by this user").count, 1)
    }
}

extension PermissionReportTests {
    func testShortRunWritesReportOnRequest() {
        let stuck = StuckCollector()
        let sampler = makeSampler(
            [("stuck", stuck), ("cpufreq", DenyingCollector([(Self.cpufreq, nil)]))], timeout: 0.02)
        defer { stuck.release.signal() }
        _ = sampler.sampleOnce()
        _ = sampler.sampleOnce()

        sampler.writePrivilegeReport()
        sampler.writePrivilegeReport()

        let header = log.lines(containing: "privileges at start")
        XCTAssertEqual(header.count, 1)
        XCTAssertTrue(header.first?.contains("not_finished=stuck") ?? false, "\(header)")
        XCTAssertEqual(log.lines(containing: "source not readable by this user").count, 1)
    }
}
