// PCI: addresses, configuration space decoding (IDs and the PCI Express link), AER counter files,
// then the pcie collector with one sysfs file replaced (input `PATH\nCONTENT`, see CollectorHarness).
// NOTE: `lspci -xxxx` dump files are parsed by libpci's C code, which this target does not reach.
@testable import EmberCollectors
import EmberCore
import FuzzSupport

let harness = CollectorHarness(collector: "pcie", trees: ["rk3588/opi5plus-mainline"])

runFuzzer { input in
    _ = PCIeLinkDecoding.expressCapabilityOffset(in: input)
    _ = PCIeLinkDecoding.link(fromConfig: input)
    _ = PCIeLinkDecoding.identity(fromConfig: input)

    let text = Text.decodeReplacingInvalid(input)
    _ = PCIAddress(text)
    for severity in AERSeverity.allCases {
        _ = try? AERDeviceReport.parse(text, severity: severity, path: "/sys/bus/pci/devices/0000:01:00.0/aer")
    }
    harness.run(input)
}
