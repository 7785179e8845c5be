import EmberCore

/// Reading helpers shared by the collectors of `/sys/class/*` devices.
enum SysfsClass {
    /// Lists the device entries of a class directory such as `class/hwmon`, sorted by name.
    ///
    /// Returns an empty list when the directory does not exist, because the subsystem is absent on
    /// this machine. Also returns an empty list when this user may not list it, and records that in
    /// `sink` as an unavailable source. Any other listing failure is thrown, because the collector
    /// then has nothing it can read.
    static func listDevices(
        _ path: String, reader: SourceReader, sink: inout MetricSink, absence: inout AbsenceLog
    ) throws -> [String] {
        do {
            return try reader.entries(path)
        } catch let error as FileError where error.isNotFound {
            absence.noteAbsent(path)
            return []
        } catch let error as FileError where error.isPermissionDenied {
            sink.record(error)
            return []
        }
    }

    /// Reads a text attribute that becomes a label value, trimmed of whitespace on both ends as
    /// node_exporter's sysfs reader (Go `strings.TrimSpace`) does.
    ///
    /// With `settled`, the attribute changes only with the configuration and is read through
    /// `SourceReader.settledString(_:)`.
    static func labelString(_ path: String, reader: SourceReader, settled: Bool = false) throws -> String {
        trimSpace(try settled ? reader.settledString(path) : reader.string(path))
    }

    /// Removes leading and trailing ASCII and Unicode whitespace.
    static func trimSpace(_ text: String) -> String {
        // Nearly every attribute starts and ends with an ASCII byte that is not whitespace, and is
        // returned as it is. Walking its characters from both ends cost about 1 700 instructions.
        if let first = text.utf8.first, let last = text.utf8.last, isASCIINonSpace(first), isASCIINonSpace(last) {
            return text
        }

        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace })
        else {
            return ""
        }
        return String(text[first...last])
    }

    /// Returns whether `byte` is ASCII and not White_Space (tab through carriage return, space).
    ///
    /// `Character.isWhitespace` looks at a character's first scalar. A character that ends with
    /// such a byte either is that byte alone or begins with a prepended mark that is not
    /// whitespace either, so the check of the last byte decides the last character.
    private static func isASCIINonSpace(_ byte: UInt8) -> Bool {
        byte < 0x80 && byte != 0x20 && !(0x09...0x0D).contains(byte)
    }

    /// Reads a decimal integer attribute as ``parseInteger(_:path:)`` parses `reader.string(path)`.
    ///
    /// An optional `-` and 1 to 18 digits, which nearly every such attribute is, are converted
    /// from the bytes read, because making a `String` and trimming it cost about 1 000
    /// instructions per attribute (callgrind). Other content is decoded as `SourceReader.string(_:)`
    /// decodes it and parsed as text, so values and errors stay the same.
    ///
    /// With `settled`, the attribute changes only with the configuration and is read through
    /// `FileSystem.withSettledAttributeBytes(_:_:)`.
    static func integer(_ path: String, reader: SourceReader, settled: Bool = false) throws -> Int64 {
        let read = try AttributeBytes.read(
            path, from: reader.fileSystem, settled: settled, parsing: { AttributeBytes.decimalInteger($0) })
        switch read {
        case .parsed(let value):
            return value
        case .unparsed(let bytes):
            return try parseInteger(Text.attributeString(bytes), path: path)
        }
    }

    /// Reads an integer attribute as ``integer(_:reader:)`` does, or returns nil when the file
    /// does not exist.
    static func optionalInteger(_ path: String, reader: SourceReader, settled: Bool = false) throws -> Int64? {
        do {
            return try integer(path, reader: reader, settled: settled)
        } catch let error as FileError where error.isNotFound {
            return nil
        }
    }

    /// Parses a decimal integer attribute after trimming whitespace; the error names the file.
    static func parseInteger(_ text: String, path: String) throws -> Int64 {
        guard let value = Int64(trimSpace(text)) else {
            throw ParseError(path: path, expected: "an integer", content: text)
        }
        return value
    }
}

/// Logs a missing source at debug level once per path, so an absent subsystem does not repeat a
/// log line every sampling cycle.
struct AbsenceLog {
    let logger: Logger
    private var logged: Set<String> = []

    init(logger: Logger) {
        self.logger = logger
    }

    mutating func noteAbsent(_ path: String) {
        guard logged.insert(path).inserted else { return }
        logger.debug("source not present on this machine", ("path", path))
    }
}

/// Descriptors created from names found at run time (hwmon attribute files, RAPL zone names),
/// kept so every sample of a family shares one descriptor and the strings are built once.
struct DescriptorCache {
    private var descriptors: [String: MetricDescriptor] = [:]

    /// Returns the descriptor stored under `key`, creating it with `make` the first time.
    mutating func descriptor(_ key: String, _ make: () -> MetricDescriptor) -> MetricDescriptor {
        descriptors.value(forKey: key, storingIfAbsent: make)
    }
}
