// /proc/stat: the parser alone, then the cpu collector with the file replaced.
import EmberCollectors
import EmberCore
import FuzzSupport

let harness = CollectorHarness(collector: "cpu", trees: ["rk3588/opi5plus-mainline"],
                               file: "rk3588/opi5plus-mainline/proc/stat")

runFuzzer { input in
    _ = ProcStatParser.parse(Text.decodeReplacingInvalid(input), path: "/proc/stat")
    harness.run(input)
}
