// The NVMe SMART / Health Information log page (log identifier 02h), as the admin command returns it.
import EmberCollectors
import FuzzSupport

runFuzzer { input in
    guard let log = try? NVMeSmartLog(bytes: input) else { return }
    for bit in 0..<8 {
        _ = log.isWarningSet(bit: bit)
    }
}
