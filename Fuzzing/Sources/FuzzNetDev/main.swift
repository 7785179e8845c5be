// /proc/net/dev: the parser alone, then the netdev collector with the file replaced.
import EmberCollectors
import EmberCore
import FuzzSupport

let harness = CollectorHarness(collector: "netdev", trees: ["rk3588/opi5plus-mainline"],
                               file: "rk3588/opi5plus-mainline/proc/net/dev")

runFuzzer { input in
    _ = NetDevParser.parse(Text.decodeReplacingInvalid(input), path: "/proc/net/dev")
    harness.run(input)
}
