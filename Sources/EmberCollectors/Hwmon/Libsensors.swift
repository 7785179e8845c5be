#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEmberShims
import CSensors
import EmberCore
import Synchronization

/// A libsensors call that failed, with libsensors' own message.
struct LibsensorsError: Error, Sendable, CustomStringConvertible {
    let operation: String
    /// The positive `SENSORS_ERR_*` code.
    let code: Int32
    /// Parse errors reported through `sensors_parse_error_wfn` during initialisation.
    var details: [String] = []

    var description: String {
        var text = "libsensors \(operation) failed: " + String(cString: sensors_strerror(code))
        if !details.isEmpty {
            text += " (" + details.joined(separator: "; ") + ")"
        }
        return text
    }
}

/// A chip as libsensors reports it, copied out of the library's structures.
struct LibsensorsChip: Sendable {
    let prefix: String
    /// `SENSORS_BUS_TYPE_*`; virtual devices all have bus 0, address 0.
    let busType: Int16
    let busNumber: Int16
    let address: Int32
    /// `/sys/class/hwmon/hwmonN`, or `…/hwmonN/device` for drivers that keep files there.
    let path: String
    var features: [LibsensorsFeature] = []
}

struct LibsensorsFeature: Sendable {
    /// The feature name, which is the sysfs sensor name (`temp1`, `cpu0_vid`, `beep_enable`).
    let name: String
    /// `sensors_get_label`: the configured label, else the `_label` file, else the name.
    let label: String
    var subfeatures: [LibsensorsSubfeature] = []
    /// Why `label` is the feature name where libsensors could not read the `_label` file in time:
    /// a ``FileError`` with a ``ReadTimeout``, recorded against the collector.
    var labelError: FileError?
}

struct LibsensorsSubfeature: Sendable {
    /// The sysfs attribute name (`temp1_input`, `temp1_crit_alarm`).
    let name: String
    let type: UInt32
    /// The value in libsensors' units with `compute` applied, or the read error: a
    /// ``LibsensorsReadError``, or a ``FileError`` with a ``ReadTimeout`` when the read blocked.
    let value: Result<Double, any Error>
}

/// The process-wide libsensors state. libsensors keeps global state and is not thread-safe, so
/// every call goes through one lock, and `sensors_init` runs once per configuration file.
enum Libsensors {
    private struct State {
        var initialisedWith: String??
        var parseErrors: [String] = []
    }

    private static let state = Mutex(State())

    /// Initialises libsensors with `configFile`, or with `/etc/sensors3.conf` and
    /// `/etc/sensors.d/*` when nil. A later call with another file cleans up and starts again.
    ///
    /// Returns the configuration's parse errors. libsensors 3.6 skips a statement it cannot parse
    /// and still initialises, so these are warnings, not failures.
    ///
    /// NOTE: the reads `sensors_init` makes run without the per-read deadline. They are the chips'
    /// `name` attributes, fixed strings that drivers return without touching the device.
    @discardableResult
    static func initialise(configFile: String?) throws(LibsensorsError) -> [String] {
        let result: Result<[String], LibsensorsError> = state.withLock { state in
            if state.initialisedWith == .some(configFile) {
                return .success(state.parseErrors)
            }
            if state.initialisedWith != nil {
                sensors_cleanup()
                state.initialisedWith = nil
            }
            return initialiseLocked(configFile: configFile, state: &state)
        }
        return try result.get()
    }

    private static func initialiseLocked(configFile: String?, state: inout State) -> Result<[String], LibsensorsError> {
        var file: UnsafeMutablePointer<FILE>?
        if let configFile {
            file = fopen(configFile, "r")
            guard file != nil else {
                let message = "open \(configFile): " + Errno.message(of: errno)
                return .failure(LibsensorsError(operation: "init", code: SENSORS_ERR_IO, details: [message]))
            }
        }
        defer { if let file { fclose(file) } }

        var messages = [CChar](repeating: 0, count: 1024)
        let code = messages.withUnsafeMutableBufferPointer { ember_sensors_init(file, $0.baseAddress, $0.count) }
        let text = String(decoding: messages.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let parseErrors = text.isEmpty ? [] : [text]
        guard code == 0 else {
            return .failure(LibsensorsError(operation: "init", code: code, details: parseErrors))
        }
        state.initialisedWith = .some(configFile)
        state.parseErrors = parseErrors
        return .success(parseErrors)
    }

    /// Copies every detected chip with its features and readable subfeature values, reading each
    /// file under the deadline of `reads`.
    static func readChips(_ reads: LibsensorsReads) -> [LibsensorsChip] {
        state.withLock { _ in
            var chips: [LibsensorsChip] = []
            var chipIndex: Int32 = 0
            while let chip = sensors_get_detected_chips(nil, &chipIndex) {
                chips.append(copyChip(chip, reads: reads))
            }
            return chips
        }
    }

    private static func copyChip(_ chip: UnsafePointer<sensors_chip_name>, reads: LibsensorsReads) -> LibsensorsChip {
        var copied = LibsensorsChip(
            prefix: String(cString: chip.pointee.prefix), busType: chip.pointee.bus.type,
            busNumber: chip.pointee.bus.nr, address: chip.pointee.addr, path: String(cString: chip.pointee.path))
        var featureIndex: Int32 = 0
        while let feature = sensors_get_features(chip, &featureIndex) {
            copied.features.append(copyFeature(feature, chip: chip, chipPath: copied.path, reads: reads))
        }
        return copied
    }

    private static func copyFeature(
        _ feature: UnsafePointer<sensors_feature>, chip: UnsafePointer<sensors_chip_name>, chipPath: String,
        reads: LibsensorsReads
    ) -> LibsensorsFeature {
        let name = String(cString: feature.pointee.name)
        let label = reads.label(at: chipPath + "/" + name + "_label", featureName: name) { () -> String? in
            guard let text = sensors_get_label(chip, feature) else { return nil }
            defer { free(text) }
            return String(cString: text)
        }

        var copied = LibsensorsFeature(name: name, label: label.text, labelError: label.error)
        var subfeatureIndex: Int32 = 0
        while let subfeature = sensors_get_all_subfeatures(chip, feature, &subfeatureIndex) {
            guard subfeature.pointee.flags & UInt32(SENSORS_MODE_R) != 0 else { continue }
            copied.subfeatures.append(copySubfeature(subfeature, chip: chip, chipPath: chipPath, reads: reads))
        }
        return copied
    }

    private static func copySubfeature(
        _ subfeature: UnsafePointer<sensors_subfeature>, chip: UnsafePointer<sensors_chip_name>, chipPath: String,
        reads: LibsensorsReads
    ) -> LibsensorsSubfeature {
        let name = String(cString: subfeature.pointee.name)
        let value = reads.value(at: chipPath + "/" + name) { () -> (code: Int32, value: Double) in
            var value = 0.0
            let code = sensors_get_value(chip, subfeature.pointee.number, &value)
            return (code, value)
        }
        return LibsensorsSubfeature(name: name, type: subfeature.pointee.type.rawValue, value: value)
    }
}

/// libsensors' reads of attribute files, run under the hwmon collector's per-read deadline and
/// timeout skipping, so a sensor that blocks (a hung I2C bus) costs one deadline, not the sample.
///
/// libsensors 3.6 opens and reads each file itself through stdio: `fopen` and `fscanf` for a
/// value, `fopen` and `fread` for a `_label` file. An interrupted `open` or `read` makes those
/// fail or return short, because glibc does not retry EINTR there, so the call returns and the
/// deadline's ``FileError`` takes the place of its result.
struct LibsensorsReads {
    let fileSystem: any FileSystem

    /// Runs `read`, a `sensors_get_value` call that returns libsensors' code and the value, for the
    /// attribute at `path`.
    func value(at path: String, _ read: () -> (code: Int32, value: Double)) -> Result<Double, any Error> {
        Result {
            try fileSystem.withReadDeadline(reading: path) { () throws -> Double in
                let (code, value) = read()
                guard code == 0 else {
                    let name = path.split(separator: "/").last.map(String.init) ?? path
                    throw LibsensorsReadError(
                        path: path, error: LibsensorsError(operation: "read of \(name)", code: abs(code)))
                }
                return value
            }
        }
    }

    /// Runs `read`, a `sensors_get_label` call, for the feature whose `_label` file is at `path`.
    /// - Returns: the label, or the feature name with the error when the read timed out or the path
    ///   is skipped. libsensors itself returns the feature name for a `_label` file it cannot read.
    ///
    /// NOTE: while the `_label` file is skipped, a label set in the configuration is not applied
    /// either, because libsensors returns both from the same call.
    func label(at path: String, featureName: String, _ read: () -> String?) -> (text: String, error: FileError?) {
        do {
            return (try fileSystem.withReadDeadline(reading: path, read) ?? featureName, nil)
        } catch {
            // The call throws nothing itself, so only the deadline's FileError arrives here.
            return (featureName, error as? FileError)
        }
    }
}
