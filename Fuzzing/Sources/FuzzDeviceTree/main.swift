// Device-tree properties, whose integers are big-endian cells. The target runs the decoders alone,
// then the OPP table and CPU facts loaders on the mainline tree with one file replaced, then the power
// collector with one file replaced (input `PATH\nCONTENT`, see CollectorHarness).
@testable import EmberCollectors
import EmberCore
import FuzzSupport

let mainline = "rk3588/opi5plus-mainline"
let harness = CollectorHarness(collector: "power", trees: [mainline, "rk3588/opi5plus-v5.10"])

/// Loads every CPU's OPP table and the CPU facts with `path` (under `Tests/Fixtures`) replaced.
func loadDeviceTree(replacing path: String, with content: [UInt8]) {
    let fileSystem = OverlayFileSystem()
    fileSystem.overrides[FixtureTrees.directory + "/" + path] = content
    let deviceTree = DeviceTreeReader(reader: SourceReader(roots: FixtureTrees.roots(mainline), fileSystem: fileSystem))
    for cpu in ["cpu@0", "cpu@400", "cpu@600"] {
        _ = try? OperatingPointTableLoader(deviceTree: deviceTree).table(for: deviceTree.base + "/cpus/" + cpu)
    }
    _ = try? CPUDeviceTreeFacts.read(deviceTree)
}

runFuzzer { input in
    let content = CollectorHarness.content(of: input)
    _ = DeviceTreeCells.u32Cells(content)
    _ = DeviceTreeCells.u64(content)
    loadDeviceTree(replacing: CollectorHarness.selector(of: input), with: content)
    harness.run(input)
}
