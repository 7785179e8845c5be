// hwmon attribute names, chip names and labels, then the hwmon collector with one file replaced
// (input `PATH\nCONTENT`, see CollectorHarness).
@testable import EmberCollectors
import EmberCore
import FuzzSupport

let harness = CollectorHarness(collector: "hwmon", trees: ["node-exporter", "rk3588/opi5plus-mainline"])

runFuzzer { input in
    let text = Text.decodeReplacingInvalid(input)
    for line in text.split(separator: "\n") {
        _ = HwmonAttributeName(String(line))
    }
    _ = cleanHwmonName(text)
    _ = HwmonChipLabel.fromDevicePath(text)
    _ = HwmonChipLabel.makeUnique(text.split(separator: "\n").map { (label: String($0), directoryName: "hwmon0") })
    harness.run(input)
}
