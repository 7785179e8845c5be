#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The sources of the agent's credentials and of the permissions of denied paths, for the privilege report.
public struct PrivilegeInspection {
    /// The debugfs mount point (`--path.debugfs`), whose own mode is often what denies access.
    public var debugfsRoot: String
    public var credentials: () throws -> ProcessCredentials
    /// Returns a path's ownership, or nil when it does not exist.
    public var ownership: (String) -> FileOwnership?

    public init(
        debugfsRoot: String = SourceRoots.defaultDebugfs,
        credentials: @escaping () throws -> ProcessCredentials = { try ProcessCredentials.current() },
        ownership: @escaping (String) -> FileOwnership? = FileOwnership.lookUp
    ) {
        self.debugfsRoot = debugfsRoot
        self.credentials = credentials
        self.ownership = ownership
    }
}

/// Logs the agent's privileges once, after the first complete sample: the effective user, its
/// capabilities, and each source that user may not read with what it would take to read it.
/// When a collector stays unfinished, the report is written at ``latestCycle`` instead, or when
/// the sampler is asked to (``Sampler/writePrivilegeReport()``).
///
/// Later samples do not repeat the report. A source denied for the first time after the report,
/// and a denied source that becomes readable, are each logged once when it happens.
final class PermissionReport {
    private struct Key: Hashable, Comparable {
        let collector: String
        let path: String

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.collector, lhs.path) < (rhs.collector, rhs.path)
        }
    }

    private struct Denial {
        let source: UnavailableSource
        let requirement: AccessRequirement
    }

    /// The cycle at which the report is written even when a collector has not finished yet, so a
    /// collector stuck on a blocking read cannot hold it back for good.
    static let latestCycle: UInt64 = 5

    private let logger: Logger
    private let inspection: PrivilegeInspection
    private var analyzer: AccessAnalyzer?
    private var denials: [Key: Denial] = [:]
    /// Collectors that had not finished in the last cycle, named in a report written before all did.
    private var unfinished: [String] = []
    private(set) var isReported = false

    init(logger: Logger, inspection: PrivilegeInspection) {
        self.logger = logger
        self.inspection = inspection
    }

    /// Notes the unreadable sources of one cycle, and writes the report when the cycle is complete.
    func note(_ statuses: [CollectorStatus], cycle: UInt64) {
        for status in statuses where status.outcome != .timedOut {
            noteCollector(status)
        }

        unfinished = statuses.filter { $0.outcome == .timedOut }.map(\.name)
        if unfinished.isEmpty || cycle >= Self.latestCycle {
            writeIfPending()
        }
    }

    /// Writes the report unless it has been written.
    func writeIfPending() {
        guard !isReported else { return }
        writeReport()
        isReported = true
    }

    /// Returns what reading `path` would take, for the `needs` label of `ember_source_available`.
    func requirement(collector: String, path: String) -> AccessRequirement? {
        denials[Key(collector: collector, path: path)]?.requirement
    }

    private func noteCollector(_ status: CollectorStatus) {
        // Nothing denied now or before: the usual case, which then builds no dictionary.
        guard !status.unavailableSources.isEmpty || !denials.isEmpty else { return }

        var current: [String: UnavailableSource] = [:]
        for source in status.unavailableSources where current[source.path] == nil {
            current[source.path] = source
        }

        // Sorted, so lines logged in one cycle come out in the same order on every run.
        for path in current.keys.sorted() where denials[Key(collector: status.name, path: path)] == nil {
            guard let source = current[path] else { continue }
            let denial = Denial(source: source, requirement: accessAnalyzer().requirement(for: source))
            denials[Key(collector: status.name, path: path)] = denial
            if isReported {
                logDenial(denial, collector: status.name)
            }
        }

        // A failed run may have stopped before it reached the source, so only a successful run
        // shows that the source was read.
        guard status.outcome == .success else { return }
        let cleared = denials.keys.filter { $0.collector == status.name && current[$0.path] == nil }.sorted()
        for key in cleared {
            denials[key] = nil
            noteCleared(key)
        }
    }

    private func noteCleared(_ key: Key) {
        let log = logger.with("collector", key.collector)
        if inspection.ownership(key.path) != nil {
            log.info("source is readable now", ("path", key.path))
        } else {
            log.debug("denied source no longer exists", ("path", key.path))
        }
    }

    private func writeReport() {
        let credentials = accessAnalyzer().credentials
        let groups = credentials.supplementaryGroupIDs.map(AccountNames.groupName)
        var fields: [(String, String)] = [
            ("user", AccountNames.userName(credentials.userID)), ("uid", String(credentials.userID)),
            ("group", AccountNames.groupName(credentials.groupID)),
            ("supplementary_groups", groups.joined(separator: ",")),
            ("capabilities", credentials.capabilities.summary), ("unreadable_sources", String(denials.count)),
        ]
        if !unfinished.isEmpty {
            fields.append(("not_finished", unfinished.joined(separator: ",")))
        }
        logger.log(.info, "privileges at start", fields: fields)

        for key in denials.keys.sorted() {
            if let denial = denials[key] {
                logDenial(denial, collector: key.collector)
            }
        }
    }

    private func logDenial(_ denial: Denial, collector: String) {
        logger.with("collector", collector).info(
            "source not readable by this user; the affected series are omitted",
            ("path", denial.source.path), ("err", denial.source.error.errnoName),
            ("needs", denial.requirement.needs), ("remedy", denial.requirement.remedy))
    }

    /// Reads the credentials on first use and keeps them, because the report describes the
    /// privileges the agent started with.
    private func accessAnalyzer() -> AccessAnalyzer {
        if let analyzer {
            return analyzer
        }

        let credentials: ProcessCredentials
        do {
            credentials = try inspection.credentials()
        } catch {
            logger.warn("failed to read the agent's credentials; the privilege report assumes no capabilities",
                        ("err", String(describing: error)))
            credentials = ProcessCredentials(
                userID: geteuid(), groupID: getegid(), supplementaryGroupIDs: [], capabilities: CapabilitySet(mask: 0))
        }
        let created = AccessAnalyzer(
            credentials: credentials, debugfsRoot: inspection.debugfsRoot, ownership: inspection.ownership)
        analyzer = created
        return created
    }
}
