#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore

/// Reads each controller's SMART / Health Information log at most once per interval, and
/// re-exports the outcome of the last read on the samples in between.
///
/// Most fields count minutes, hours or thousands of blocks, so a read every second shows little
/// new, while each read is an admin command the controller must serve. A failed read
/// replaces the last good log, so no sample shows numbers older than the last attempt.
final class NVMeSmartPoller {
    /// The outcome of the last read of one controller.
    enum Outcome {
        case log(NVMeSmartLog)
        /// The process may not send admin commands (EACCES or EPERM). It is recorded again on
        /// every sample, so `ember_source_available` stays 0 between attempts.
        case denied(FileError)
        /// Any other failure, recorded once, on the sample that attempted the read.
        case failed
        /// The controller has no device node under the configured devfs root.
        case absent
    }

    private struct State {
        var attemptNanoseconds: UInt64
        var outcome: Outcome
    }

    static let logIdentifier: UInt8 = 0x02
    /// The kernel allows NVMe admin passthrough commands only to callers with this capability.
    static let requiredPrivilege = "CAP_SYS_ADMIN"

    private let channel: any NVMeAdminChannel
    private let clock: any Clock
    private let intervalNanoseconds: UInt64
    private var absence: AbsenceLog
    private var states: [String: State] = [:]

    init(channel: any NVMeAdminChannel, clock: any Clock, intervalSeconds: Double, logger: Logger) {
        self.channel = channel
        self.clock = clock
        self.intervalNanoseconds = UInt64(intervalSeconds * 1e9)
        self.absence = AbsenceLog(logger: logger)
    }

    /// Adds the SMART families of `device` (`nvme0`), reading its node `devicePath` when the
    /// interval since the last attempt has passed.
    func update(device: String, devicePath: String, into sink: inout MetricSink) {
        let now = clock.monotonicNanoseconds()
        if let state = states[device], now >= state.attemptNanoseconds,
           now - state.attemptNanoseconds < intervalNanoseconds
        {
            report(state.outcome, device: device, into: &sink)
            return
        }

        let outcome = read(devicePath, into: &sink)
        states[device] = State(attemptNanoseconds: now, outcome: outcome)
        report(outcome, device: device, into: &sink)
    }

    /// Drops the state of controllers not in `present`, so a re-plugged drive is read at once.
    func forget(devicesOtherThan present: Set<String>) {
        states = states.filter { present.contains($0.key) }
    }

    private func read(_ devicePath: String, into sink: inout MetricSink) -> Outcome {
        do {
            let page = try channel.readLogPage(
                devicePath: devicePath, identifier: Self.logIdentifier, length: NVMeSmartLog.size)
            return .log(try NVMeSmartLog(bytes: page, path: devicePath))
        } catch let error as FileError where error.operation == "open" && error.code == ENOENT {
            absence.noteAbsent(devicePath)
            return .absent
        } catch let error as FileError where error.isPermissionDenied {
            return .denied(error)
        } catch {
            sink.record(error)
            return .failed
        }
    }

    private func report(_ outcome: Outcome, device: String, into sink: inout MetricSink) {
        switch outcome {
        case .log(let log):
            NVMeSmartFamilies.export(log, device: device, into: &sink)
        case .denied(let error):
            sink.record(error, grantedBy: Self.requiredPrivilege)
        case .failed, .absent:
            break
        }
    }
}
