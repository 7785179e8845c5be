import EmberCore

extension SourceReader {
    /// Runs `read` on `path`, recording its error in `sink` instead of throwing.
    ///
    /// Returns nil without recording anything when the file does not exist or the read fails
    /// with an errno in `ignoredCodes`, because those mean "not applicable here", not a fault.
    /// `privilege`, when given, names what grants access if the read is denied.
    func readOrRecord<Value>(
        _ path: String, into sink: inout MetricSink, ignoring ignoredCodes: Set<Int32> = [],
        grantedBy privilege: String? = nil, _ read: (String) throws -> Value
    ) -> Value? {
        do {
            return try read(path)
        } catch let error as FileError where error.isNotFound || ignoredCodes.contains(error.code) {
            return nil
        } catch {
            if let privilege {
                sink.record(error, grantedBy: privilege)
            } else {
                sink.record(error)
            }
            return nil
        }
    }

    /// Returns the names in `directory` that are `prefix` followed by digits (`cpu12`, `policy4`),
    /// in numeric order, or an empty list when the directory does not exist.
    func numberedSysfsEntries(_ directory: String, prefix: String) throws -> [String] {
        let names = try optionalEntries(directory).filter { name in
            name.hasPrefix(prefix) && name.count > prefix.count
                && name.dropFirst(prefix.count).allSatisfy(isDecimalDigit)
        }
        // Digit strings of equal length sort numerically as text, and a shorter one is smaller.
        return names.sorted { ($0.count, $0) < ($1.count, $1) }
    }
}
