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
        Self.numberedEntries(try optionalEntries(directory), prefix: prefix)
    }

    /// Returns the names of `names` that are `prefix` followed by digits, in numeric order.
    static func numberedEntries(_ names: [String], prefix: String) -> [String] {
        let numbered = names.filter { name in
            isASCII(name) ? isNumberedASCII(name, prefix: prefix) : isNumbered(name, prefix: prefix)
        }
        // Digit strings of equal length sort numerically as text, and a shorter one is smaller.
        // Every name kept is ASCII, apart from names with combining marks after a digit, so
        // counting bytes first counts characters.
        return numbered.sorted { lhs, rhs in
            let lhsCount = isASCII(lhs) ? lhs.utf8.count : lhs.count
            let rhsCount = isASCII(rhs) ? rhs.utf8.count : rhs.count
            return (lhsCount, lhs) < (rhsCount, rhs)
        }
    }
}

/// ``SourceReader/numberedSysfsEntries(_:prefix:)`` of one directory, computed again only when
/// the directory's listing changes.
///
/// Filtering and sorting the names cost about 6 000 instructions per directory and sample, where
/// comparing the listing with the last one costs a few hundred (callgrind, RK3588 test tree).
struct NumberedEntriesMemo {
    let prefix: String
    private var listing: [String]?
    private var entries: [String] = []

    init(prefix: String) {
        self.prefix = prefix
    }

    /// Returns the numbered entries of `directory`, or an empty list when it does not exist.
    mutating func entries(of directory: String, reader: SourceReader) throws -> [String] {
        let listing: [String]
        do {
            listing = try reader.fileSystem.listDirectory(directory)
        } catch where error.isNotFound {
            listing = []
        }

        if listing != self.listing {
            self.listing = listing
            entries = SourceReader.numberedEntries(listing, prefix: prefix)
        }
        return entries
    }
}

/// Returns whether `name` is `prefix` followed by one or more characters in "0"..."9".
///
/// The range also contains a digit followed by a combining mark, such as "1\u{301}", as one
/// character. That needs non-ASCII bytes, so ``isNumberedASCII(_:prefix:)`` need not handle it.
private func isNumbered(_ name: String, prefix: String) -> Bool {
    name.hasPrefix(prefix) && name.count > prefix.count && name.dropFirst(prefix.count).allSatisfy(isDecimalDigit)
}

/// ``isNumbered(_:prefix:)`` for an ASCII `name`, comparing bytes instead of characters. Counting
/// and dropping characters cost about 3 000 instructions per name, and the CPU collectors check
/// every entry of `devices/system/cpu` on each cycle.
private func isNumberedASCII(_ name: String, prefix: String) -> Bool {
    let bytes = name.utf8
    let prefixLength = prefix.utf8.count
    return bytes.count > prefixLength && bytes.starts(with: prefix.utf8)
        && bytes.dropFirst(prefixLength).allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
}
