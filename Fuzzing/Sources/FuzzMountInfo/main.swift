// /proc/PID/mountinfo: the parser alone, then the storage_errors collector with the file replaced.
@testable import EmberCollectors
import EmberCore
import FuzzSupport

let harness = CollectorHarness(collector: "storage_errors", trees: ["rk3588/opi5plus-mainline"],
                               file: "rk3588/opi5plus-mainline/proc/1/mountinfo")

runFuzzer { input in
    let text = Text.decodeReplacingInvalid(input)
    _ = MountInfoParser.parse(text)
    _ = MountInfoParser.unescape(Substring(text))
    harness.run(input)
}
