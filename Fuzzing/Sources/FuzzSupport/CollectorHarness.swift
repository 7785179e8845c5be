#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCollectors
import EmberCore
import EmberExposition

/// Runs one registered collector on committed fixture trees with one file's content replaced by the
/// fuzz input, then encodes its samples for the exposition. The fuzzer so reaches everything between
/// a sysfs file and the exposition bytes through the real code.
///
/// An input is `PATH\nCONTENT`: PATH is a file under `Tests/Fixtures` that the collector reads, such as
/// `rk3588/opi5plus-mainline/sys/class/hwmon/hwmon0/temp1_input`, and CONTENT replaces its bytes.
/// A PATH that names no such file picks one by its hash, so mutated paths still reach some file.
/// The seed corpus (Fuzzing/make-corpus.py) writes inputs in this form from the fixture files.
/// A harness made with `file:` instead replaces that one file with the whole input. With the
/// environment variable `EMBER_FUZZ_LIST_FILES` set, the target prints each harness's files and exits.
public final class CollectorHarness {
    private let definition: CollectorDefinition
    private let options: CollectorOptions
    private let trees: [String]
    private let fixedFile: String?
    /// Files the collector reads on the fixture trees, relative to `Tests/Fixtures`, sorted.
    public let files: [String]

    /// Records which files `collector` reads on each of `trees` (names under `Tests/Fixtures`). With
    /// `file` (a path under `Tests/Fixtures` that the collector reads), every input replaces that file.
    public init(collector name: String, trees: [String], file: String? = nil, options: [String: String] = [:]) {
        guard let definition = CollectorRegistry.definition(named: name) else {
            fatalError("no collector named \(name) in CollectorRegistry.all")
        }
        self.definition = definition
        self.options = CollectorOptions(options)
        self.trees = trees
        fixedFile = file

        var read: Set<String> = []
        for tree in trees {
            let fileSystem = OverlayFileSystem()
            Self.update(definition, self.options, tree: tree, fileSystem: fileSystem, times: 2)
            let prefix = FixtureTrees.directory + "/"
            let underFixtures = fileSystem.readPaths.filter { $0.hasPrefix(prefix) }
            read.formUnion(underFixtures.map { String($0.dropFirst(prefix.count)) })
        }
        files = read.sorted()
        guard !files.isEmpty else {
            fatalError("collector \(name) read no file on \(trees); check the tree names under "
                + FixtureTrees.directory)
        }
        if getenv("EMBER_FUZZ_LIST_FILES") != nil {
            print(files.map { "\(name) \($0)" }.joined(separator: "\n"))
        }
        if let file, !files.contains(file) {
            fatalError("collector \(name) does not read \(file); it reads \(files)")
        }
    }

    /// Runs the collector three times on the chosen file's tree: with the fixture's content, with the
    /// input's, and with the fixture's again, so counter and cache code gets a change both ways. The
    /// samples of the second run are encoded.
    public func run(_ input: [UInt8]) {
        let (path, content) = split(input)
        let tree = trees.first { path.hasPrefix($0 + "/") } ?? trees[0]
        let fileSystem = OverlayFileSystem()
        let collector = Self.make(definition, options, tree: tree, fileSystem: fileSystem)
        _ = Self.updateOnce(collector)

        fileSystem.overrides[FixtureTrees.directory + "/" + path] = content
        let samples = Self.updateOnce(collector)
        Self.encode(samples, openMetrics: content.count % 2 == 1)

        fileSystem.overrides = [:]
        _ = Self.updateOnce(collector)
    }

    /// Returns the PATH line of an input, or an empty string when it has no newline.
    public static func selector(of input: [UInt8]) -> String {
        guard let newline = input.firstIndex(of: UInt8(ascii: "\n")) else { return "" }
        return String(decoding: input[..<newline], as: UTF8.self)
    }

    /// Returns the CONTENT part of an input: everything after the first newline, or all of it.
    public static func content(of input: [UInt8]) -> [UInt8] {
        guard let newline = input.firstIndex(of: UInt8(ascii: "\n")) else { return input }
        return Array(input[(newline + 1)...])
    }

    /// Splits an input into the chosen file and its new content.
    private func split(_ input: [UInt8]) -> (path: String, content: [UInt8]) {
        if let fixedFile {
            return (fixedFile, input)
        }
        let selector = Self.selector(of: input)
        let path = files.contains(selector) ? selector : files[Int(fnv1a(selector.utf8) % UInt64(files.count))]
        return (path, Self.content(of: input))
    }

    private static func make(
        _ definition: CollectorDefinition, _ options: CollectorOptions, tree: String, fileSystem: OverlayFileSystem
    ) -> (any Collector)? {
        let reader = SourceReader(roots: FixtureTrees.roots(tree), fileSystem: fileSystem)
        let context = CollectorContext(reader: reader, logger: Logger(level: .error, sink: DiscardingLogSink()),
                                       options: options)
        return try? definition.make(context)
    }

    private static func update(
        _ definition: CollectorDefinition, _ options: CollectorOptions, tree: String, fileSystem: OverlayFileSystem,
        times: Int
    ) {
        let collector = make(definition, options, tree: tree, fileSystem: fileSystem)
        for _ in 0..<times {
            _ = updateOnce(collector)
        }
    }

    private static func updateOnce(_ collector: (any Collector)?) -> [Sample] {
        var sink = MetricSink()
        try? collector?.update(into: &sink)
        return sink.samples
    }

    /// Encodes the samples as the agent does for every snapshot, in one of the two formats, because
    /// sorting the samples for the exposition costs more than the collector run itself.
    private static func encode(_ samples: [Sample], openMetrics: Bool) {
        if openMetrics {
            _ = OpenMetricsEncoder.encode(samples)
        } else {
            _ = PrometheusTextEncoder.encode(samples)
        }
    }
}

/// Returns the 64-bit FNV-1a hash of `bytes`, for a choice that depends only on the input.
func fnv1a<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    return hash
}

/// A log sink that drops every line, because fuzzing would otherwise print millions of them.
final class DiscardingLogSink: LogSink {
    func write(_ line: String) {}
}
