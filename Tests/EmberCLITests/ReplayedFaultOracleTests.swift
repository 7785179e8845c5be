import EmberCore
import EmberTestSupport
import Foundation
import Glibc
import XCTest

/// Runs node_exporter 1.5 (`/usr/bin/prometheus-node-exporter`, Debian package
/// `prometheus-node-exporter`) on each replayed-fault tree and compares its series with Ember's,
/// family by family, so every place where Ember deliberately differs is written down here.
///
/// Without node_exporter or curl the tests skip, except under `CI=true`, where they fail.
final class ReplayedFaultOracleTests: XCTestCase {
    private static let nodeExporterPath = "/usr/bin/prometheus-node-exporter"
    private static let curlPath = "/usr/bin/curl"
    private static let collectors = ["hwmon", "thermal_zone", "powersupplyclass", "rapl", "cpufreq"]
    private static let families = [
        "node_hwmon_", "node_thermal_zone_", "node_cooling_device_", "node_power_supply_", "node_rapl_",
        "node_cpu_",
    ]

    private func requireTools() throws {
        for tool in [Self.nodeExporterPath, Self.curlPath] where !FileManager.default.isExecutableFile(atPath: tool) {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                XCTFail("\(tool) is missing: run Tests/scripts/setup.sh")
            }
            throw XCTSkip("\(tool) is not installed")
        }
    }

    /// Returns node_exporter's series of the compared families on `fixture`, scraped on loopback.
    /// A random port may be taken by another program, so up to three ports are tried.
    private func nodeExporterSeries(_ fixture: String) throws -> [String: Double] {
        let procfs = FileManager.default.temporaryDirectory.path + "/ember-oracle-proc-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: procfs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: procfs) }

        for _ in 1...3 {
            let port = 20_000 + Int.random(in: 0..<20_000)
            let exporter = try startNodeExporter(ReplayedFaultTrees.roots(fixture), procfs: procfs, port: port)
            defer {
                exporter.terminate()
                exporter.waitUntilExit()
            }
            if let text = try scrape("http://127.0.0.1:\(port)/metrics", while: exporter) {
                return compared(text)
            }
        }
        XCTFail("\(fixture): node_exporter did not respond on three loopback ports")
        return [:]
    }

    private func startNodeExporter(_ roots: SourceRoots, procfs: String, port: Int) throws -> Process {
        let exporter = Process()
        exporter.executableURL = URL(fileURLWithPath: Self.nodeExporterPath)
        exporter.arguments = [
            "--web.listen-address=127.0.0.1:\(port)", "--path.sysfs=\(roots.sysfs)", "--path.procfs=\(procfs)",
            "--collector.disable-defaults",
        ] + Self.collectors.map { "--collector." + $0 }
        exporter.standardOutput = FileHandle.nullDevice
        exporter.standardError = FileHandle.nullDevice
        try exporter.run()
        return exporter
    }

    /// Fetches `url` with curl every 100 ms for up to 10 s while `exporter` runs. Returns nil when
    /// the exporter exits first (its port was taken) or never responds.
    private func scrape(_ url: String, while exporter: Process) throws -> String? {
        let deadline = Date().addingTimeInterval(10)
        while exporter.isRunning, Date() < deadline {
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: Self.curlPath)
            curl.arguments = ["-sS", "--connect-timeout", "1", "--max-time", "5", url]
            let output = Pipe()
            curl.standardOutput = output
            curl.standardError = FileHandle.nullDevice
            try curl.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            curl.waitUntilExit()
            if curl.terminationStatus == 0 {
                return text
            }
            usleep(100_000)
        }
        return nil
    }

    private func compared(_ text: String) -> [String: Double] {
        var series: [String: Double] = [:]
        for parsed in PrometheusText.parseSeries(text) where Self.families.contains(where: parsed.name.hasPrefix) {
            series[parsed.key] = parsed.value
        }
        return series
    }

    /// Checks that Ember and node_exporter agree on `fixture` except for the listed series.
    private func check(
        _ fixture: String, onlyNodeExporter: Set<String> = [], onlyEmber: Set<String> = []
    ) throws {
        try requireTools()
        let theirs = try nodeExporterSeries(fixture)
        let names = Set(theirs.keys.map { $0.prefix { $0 != "{" } })
        let ours = compared(try ReplayedFaultTrees.exposition(fixture)).filter { names.contains($0.key.prefix { $0 != "{" }) }

        XCTAssertFalse(theirs.isEmpty, "\(fixture): node_exporter exported nothing")
        XCTAssertEqual(Set(theirs.keys).subtracting(ours.keys), onlyNodeExporter, "\(fixture): only in node_exporter")
        XCTAssertEqual(Set(ours.keys).subtracting(theirs.keys), onlyEmber, "\(fixture): only in Ember")
        for (key, value) in ours {
            guard let theirValue = theirs[key] else { continue }
            XCTAssertEqual(value, theirValue, accuracy: abs(theirValue) * 1e-12, "\(fixture): \(key)")
        }
    }

    func testAgreesOnSharedTrees() throws {
        for fixture in ["hwmon-bare-temp", "hwmon-eagain", "hwmon-power-and-temp", "power-supply-invalid-utf8",
                        "powercap-package-15", "thermal-read-errors", "cpufreq-root-only"] {
            try check(fixture)
        }
    }

    /// Ember omits temperatures outside -200 °C to 3000 °C, which node_exporter passes on.
    func testNVMeDiffersOnImpossibleTemperatures() throws {
        let chip = #"chip="nvme_nvme0""#
        try check("nvme-hwmon", onlyNodeExporter: [
            #"node_hwmon_temp_celsius{\#(chip),sensor="temp2"}"#,
            #"node_hwmon_temp_min_celsius{\#(chip),sensor="temp1"}"#,
            #"node_hwmon_temp_min_celsius{\#(chip),sensor="temp2"}"#,
            #"node_hwmon_temp_min_celsius{\#(chip),sensor="temp3"}"#,
            #"node_hwmon_temp_max_celsius{\#(chip),sensor="temp2"}"#,
            #"node_hwmon_temp_max_celsius{\#(chip),sensor="temp3"}"#,
        ])
    }

    /// node_exporter names both fan chips `platform_gpio_fan` and drops the second as a duplicate;
    /// Ember appends the hwmon directory to each colliding label.
    func testNamelessChipsDifferOnLabels() throws {
        try check("hwmon-no-name", onlyNodeExporter: [
            #"node_hwmon_fan_rpm{chip="platform_gpio_fan",sensor="fan1"}"#,
            #"node_hwmon_temp_celsius{chip="platform_gpio_fan",sensor="temp1"}"#,
        ], onlyEmber: [
            #"node_hwmon_fan_rpm{chip="platform_gpio_fan_hwmon0",sensor="fan1"}"#,
            #"node_hwmon_temp_celsius{chip="platform_gpio_fan_hwmon0",sensor="temp1"}"#,
            #"node_hwmon_fan_rpm{chip="platform_gpio_fan_hwmon1",sensor="fan1"}"#,
        ])
    }
}
