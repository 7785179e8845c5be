// cpuidle state directories (`name`, `time`, `usage`, ...), read by the cpuidle collector with one
// file replaced (input `PATH\nCONTENT`, see CollectorHarness).
import FuzzSupport

let harness = CollectorHarness(collector: "cpuidle", trees: ["rk3588/opi5plus-mainline", "rk3588/opi5plus-v5.10"])

runFuzzer { input in
    harness.run(input)
}
