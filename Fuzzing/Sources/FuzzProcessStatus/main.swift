// `/proc/PID/status`, a `Key: value` table like `/proc/meminfo`: the agent reads its user, groups
// and effective capabilities from it for the start-up report of sources it cannot read.
import EmberCore
import FuzzSupport

runFuzzer { input in
    let text = Text.decodeReplacingInvalid(input)
    guard let credentials = try? ProcessCredentials.parse(status: text, path: "/proc/self/status") else { return }
    _ = credentials.isMember(ofGroup: 0)
    for bit in -1...64 {
        _ = credentials.capabilities.contains(bit)
    }
    _ = credentials.capabilities.summary
}
