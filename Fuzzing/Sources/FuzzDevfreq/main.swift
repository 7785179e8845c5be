// devfreq `load` and `trans_stat`: the parsers alone, then the devfreq collector with one of its
// files replaced (input `PATH\nCONTENT`, see CollectorHarness).
import EmberCollectors
import EmberCore
import FuzzSupport

let harness = CollectorHarness(collector: "devfreq", trees: ["rk3588/opi5plus-v5.10", "rk3588/opi5plus-mainline"])

runFuzzer { input in
    let text = Text.decodeReplacingInvalid(input)
    _ = try? DevfreqLoad.parse(text, path: "/sys/class/devfreq/fb000000.gpu/load")
    _ = try? DevfreqTransitionStats.parse(text, path: "/sys/class/devfreq/fb000000.gpu/trans_stat")
    harness.run(input)
}
