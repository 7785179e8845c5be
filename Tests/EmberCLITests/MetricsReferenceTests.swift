import EmberCore
import EmberTestSupport
import Foundation
import XCTest

/// METRICS.md against the exposition: every exported family must be documented with the same
/// type and labels, and every documented family must be exported on some fixture tree unless it
/// needs something a static tree cannot give.
final class MetricsReferenceTests: XCTestCase {
    struct Entry {
        let type: String
        let labels: Set<String>
    }

    /// Documented families that no fixture tree can produce, with the reason.
    static let notOnFixtures: [String: String] = [
        "ember_cpu_busy_ratio": "needs /proc/stat to change between samples",
        "ember_cpufreq_average_frequency_hertz": "needs time_in_state to change between samples",
        "ember_source_available": "needs a read denied by permissions, which root never gets from plain files",
        "ember_board_input_volts": "needs --collector.power.iio-input",
        "ember_carbon_grams_total": "needs a carbon intensity flag and two samples",
        "ember_carbon_intensity_grams_per_kilowatt_hour": "needs a carbon intensity flag",
        "ember_power_model_correction_watts": "needs /proc/stat to change between samples",
        "ember_power_model_error_watts": "needs /proc/stat to change between samples and a measured board input",
    ].merging(httpFamilies.map { ($0, "exported by the HTTP server of ember serve, not by a sample") }) {
        first, _ in first
    }.merging(nvmeSmartFamilies.map { ($0, "needs an NVMe controller that answers the admin Get Log Page ioctl") }) {
        first, _ in first
    }

    /// The HTTP server's families, which `ember serve` adds to each published sample.
    static let httpFamilies = [
        "ember_http_accept_errors_total",
        "ember_http_connections_accepted_total",
        "ember_http_connections_closed_total",
        "ember_http_open_connections",
        "ember_http_responses_total",
    ]

    /// The SMART log families, which no fixture produces. The fixture trees have no `/dev/nvme0`, and
    /// a regular file there would fail the ioctl with ENOTTY.
    static let nvmeSmartFamilies = [
        "ember_nvme_available_spare_ratio",
        "ember_nvme_available_spare_threshold_ratio",
        "ember_nvme_controller_busy_seconds_total",
        "ember_nvme_critical_temperature_seconds_total",
        "ember_nvme_critical_warning",
        "ember_nvme_critical_warning_active",
        "ember_nvme_data_read_bytes_total",
        "ember_nvme_data_written_bytes_total",
        "ember_nvme_endurance_group_critical_warning",
        "ember_nvme_error_log_entries_total",
        "ember_nvme_host_read_commands_total",
        "ember_nvme_host_write_commands_total",
        "ember_nvme_media_errors_total",
        "ember_nvme_percentage_used_ratio",
        "ember_nvme_power_cycles_total",
        "ember_nvme_power_on_seconds_total",
        "ember_nvme_temperature_celsius",
        "ember_nvme_thermal_management_seconds_total",
        "ember_nvme_thermal_management_transitions_total",
        "ember_nvme_unsafe_shutdowns_total",
        "ember_nvme_warning_temperature_seconds_total",
    ]

    /// Families whose label set differs between series, as node_exporter exports them: a power
    /// supply's info series has one label per attribute file the supply has.
    static let variableLabelFamilies: Set<String> = ["node_power_supply_info"]

    static let fixtures = ["node-exporter", "rk3588/opi5plus-v5.10", "rk3588/opi5plus-v6.1", "rk3588/opi5plus-mainline"]

    /// Source files that no fixture tree contains, written to a temporary tree. They are hwmon power
    /// sensors (`power1_input`, and `power1_average` as amdgpu reports it), a battery's temperature,
    /// a regulator that reports current, the I/O counters of a SCSI disk and the Raspberry Pi's
    /// under-voltage alarm. The battery temperature's trailing-window families must be documented too.
    static let extraSources = [
        "sys/class/hwmon/hwmon0/name": "amdgpu",
        "sys/class/hwmon/hwmon0/power1_input": "15000000",
        "sys/class/hwmon/hwmon0/power1_average": "14000000",
        "sys/class/power_supply/BAT0/type": "Battery",
        "sys/class/power_supply/BAT0/temp": "312",
        "sys/class/regulator/regulator.0/name": "vbus_limit",
        "sys/class/regulator/regulator.0/type": "current",
        "sys/class/regulator/regulator.0/microamps": "1500000",
        "sys/class/regulator/regulator.0/min_microamps": "500000",
        "sys/class/regulator/regulator.0/max_microamps": "3000000",
        "sys/class/hwmon/hwmon1/name": "rpi_volt",
        "sys/class/hwmon/hwmon1/in0_lcrit_alarm": "0",
        "sys/block/sda/device/ioerr_cnt": "0x2",
        "sys/block/sda/device/iorequest_cnt": "0x4d2",
        "sys/block/sda/device/iodone_cnt": "0x4d2",
        "sys/block/sda/device/iotmo_cnt": "0x0",
    ]

    func testExpositionMatchesReference() throws {
        let (explicit, patterns) = try Self.parseReference()
        var seen: Set<String> = []

        var outputs: [(source: String, text: String)] = []
        for fixture in Self.fixtures {
            outputs.append((fixture, try AgentHarness.exposition(roots: Fixtures.roots(fixture))))
        }
        outputs.append(("extra sources", try Self.expositionOfExtraSources()))

        for (source, text) in outputs {
            let types = PrometheusText.parseTypes(text)
            for series in PrometheusText.parseSeries(text) {
                let family = Self.family(of: series.name, types: types)
                seen.insert(family)
                guard let entry = explicit[family] ?? patterns.first(where: { family.hasPrefix($0.key) })?.value else {
                    XCTFail("\(family) (on \(source)) is not in METRICS.md")
                    continue
                }
                let labels = Set(series.labels.keys)
                let matches = Self.variableLabelFamilies.contains(family)
                    ? labels.isSubset(of: entry.labels) : labels == entry.labels
                XCTAssertTrue(
                    matches, "\(family) on \(source): labels \(labels.sorted()) not documented as \(entry.labels.sorted())")
                XCTAssertTrue(entry.type.contains(types[family] ?? "?"), "\(family): TYPE \(types[family] ?? "?") vs \(entry.type)")
            }
        }

        let unseen = Set(explicit.keys).subtracting(seen)
        XCTAssertEqual(unseen, Set(Self.notOnFixtures.keys), "documented families missing from every fixture's output")
    }

    /// Writes ``extraSources`` to a temporary tree and returns the agent's exposition of it.
    static func expositionOfExtraSources() throws -> String {
        let root = NSTemporaryDirectory() + "ember-metrics-reference-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }

        for (path, content) in extraSources {
            let file = root + "/" + path
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try (content + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: root + "/proc", withIntermediateDirectories: true)
        let roots = SourceRoots(
            sysfs: root + "/sys", procfs: root + "/proc", debugfs: root + "/sys/kernel/debug", devfs: root + "/dev")
        return try AgentHarness.exposition(roots: roots)
    }

    /// Returns the family a sample belongs to. Counters keep `_total` on samples but not always in TYPE.
    static func family(of name: String, types: [String: String]) -> String {
        if types[name] == nil, name.hasSuffix("_total"), types[String(name.dropLast(6))] != nil {
            return String(name.dropLast(6))
        }
        return name
    }

    /// Parses the table rows: explicit families, and pattern rows (`node_hwmon_<…>`) keyed by prefix.
    static func parseReference() throws -> (explicit: [String: Entry], patterns: [String: Entry]) {
        let path = Fixtures.directory + "/../../METRICS.md"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var explicit: [String: Entry] = [:]
        var patterns: [String: Entry] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4 else { continue }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let labels = Set(cells[3].split(separator: ",").map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: "` "))
            }.filter { $0 != "—" && !$0.isEmpty })
            let entry = Entry(type: cells[1], labels: labels)
            if let open = name.firstIndex(of: "<") {
                patterns[String(name[..<open])] = entry
            } else {
                explicit[name] = entry
            }
        }
        return (explicit, patterns)
    }
}
