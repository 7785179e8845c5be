// The collectors without a target of their own (thermal zones, cooling devices, regulators, RAPL,
// network class and bonding, eMMC/SD health, cpufreq, NVMe sysfs), each run with one of its files
// replaced (input `PATH\nCONTENT`, see CollectorHarness). The collector whose files contain PATH
// runs; a PATH no collector reads picks one by the input's first byte.
import FuzzSupport

let mainline = "rk3588/opi5plus-mainline"
let harnesses = [
    CollectorHarness(collector: "thermal_zone", trees: [mainline, "node-exporter"]),
    CollectorHarness(collector: "regulator", trees: [mainline]),
    CollectorHarness(collector: "rapl", trees: ["node-exporter"]),
    CollectorHarness(collector: "netclass", trees: [mainline, "node-exporter"]),
    CollectorHarness(collector: "bonding", trees: ["node-exporter"]),
    CollectorHarness(collector: "mmc", trees: [mainline]),
    CollectorHarness(collector: "cpufreq", trees: [mainline, "node-exporter"]),
    CollectorHarness(collector: "nvme", trees: [mainline, "node-exporter"]),
]

runFuzzer { input in
    let selector = CollectorHarness.selector(of: input)
    let harness = harnesses.first { $0.files.contains(selector) }
        ?? harnesses[Int(input.first ?? 0) % harnesses.count]
    harness.run(input)
}
