// The Rockchip RKNPU `load` file: the parser alone, then the rknpu collector with one file replaced
// (input `PATH\nCONTENT`, see CollectorHarness).
import EmberCollectors
import EmberCore
import FuzzSupport

let harness = CollectorHarness(collector: "rknpu", trees: ["rk3588/opi5plus-v5.10", "rk3588/opi5plus-v6.1"])

runFuzzer { input in
    _ = try? RKNPULoad.parse(Text.decodeReplacingInvalid(input), path: "/sys/kernel/debug/rknpu/load")
    harness.run(input)
}
