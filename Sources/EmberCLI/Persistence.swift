#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import EmberCore
import EmberHistory
import Synchronization

/// Loads the state files at start and saves them while running and at stop.
///
/// Each tier is split into its sealed chunks, which never change, and its open chunks and buckets.
/// `ember.state` contains the accumulated counters and the minute tier's open part and is saved
/// every flush interval. `ember-hours.state` contains the open part of the hour tier and of the
/// temperatures' hourly maxima and is saved when an hour has closed since its last save.
/// `ember-minute-chunks.state` and `ember-hour-chunks.state` contain the sealed chunks (the latter
/// those of both hourly tiers) and are saved only when a chunk was sealed or dropped, so a flush
/// rewrites little more than what changed. Everything is saved at stop. The sampling thread
/// takes the state under the history lock (its chunks share the rings' storage), and a serial queue
/// encodes it into the files through a small buffer, so a slow write does not delay the next
/// sample.
///
/// After a crash, the hour tiers' open part is the one of the last hourly save. Loading rebuilds
/// their newer buckets from the minute tier, which was saved at the last flush
/// (``History/catchUpHoursFromMinutes()``), so the hour tiers lose only what the minute tier lost.
final class Persistence: Sendable {
    let store: StateStore
    let hourStore: StateStore
    let minuteChunksStore: StateStore
    let hourChunksStore: StateStore
    let machineID: String
    let bootID: String
    private let flushIntervalNanoseconds: UInt64
    private let logger: Logger
    private let lastSave = Mutex<UInt64?>(nil)
    private let lastSavedHour = Mutex<Int64>(.min)
    /// The sealed-chunk signature of each tier at its last save, by file name.
    private let lastSignatures = Mutex<[String: Int]>([:])
    /// The last save error by file path, so a repeated error is logged once.
    private let lastErrors = Mutex<[String: String]>([:])
    private let queue = DispatchQueue(label: "ember.persistence")

    init(store: StateStore, machineID: String, bootID: String, flushIntervalSeconds: Double, logger: Logger) {
        self.store = store
        hourStore = StateStore(directory: store.directory, fileName: StateStore.hourFileName)
        minuteChunksStore = StateStore(directory: store.directory, fileName: StateStore.minuteChunksFileName)
        hourChunksStore = StateStore(directory: store.directory, fileName: StateStore.hourChunksFileName)
        self.machineID = machineID
        self.bootID = bootID
        flushIntervalNanoseconds = UInt64(flushIntervalSeconds * 1e9)
        self.logger = logger
    }

    /// Loads the saved tiers into `history` and returns the saved counters. Each file is loaded on
    /// its own, sealed chunks first. A missing or unreadable file (logged) leaves its part empty. A
    /// corrupt file, or one from a newer version or another machine, is logged and moved aside.
    func load(into history: History) -> [String: SavedCounter] {
        var counters: [String: SavedCounter] = [:]
        var missing: [String] = []
        let files = [minuteChunksStore, hourChunksStore, store, hourStore]
        for file in files {
            guard let state = loadFile(file, missing: &missing) else { continue }
            history.restore(state.families)
            for problem in history.restore(state.tiers) {
                logger.warn("part of the saved history was not loaded", ("path", file.path), ("reason", problem))
            }
            counters.merge(state.counters) { first, _ in first }
        }
        logMissing(missing, of: files.count)
        catchUpHours(history)

        lastSavedHour.withLock { $0 = history.hour.currentBucket }
        let signatures = [
            StateStore.minuteChunksFileName: Persistence.sealedSignature([history.minute]),
            StateStore.hourChunksFileName: Persistence.sealedSignature([history.hour, history.hourMaximum]),
        ]
        lastSignatures.withLock { $0 = signatures }
        return counters
    }

    /// Rebuilds the hour tiers' buckets newer than their last hourly save from the minute tier.
    private func catchUpHours(_ history: History) {
        do {
            let changed = try history.catchUpHoursFromMinutes()
            if changed > 0 {
                logger.info("rebuilt the hour tiers' newest buckets from the minute tier, saved more recently",
                            ("series", String(changed)))
            }
        } catch {
            logger.warn("failed to rebuild the hour tiers from the minute tier, so they lack the samples since their last hourly save",
                        ("err", error.description))
        }
    }

    /// Returns "true" or "false", or "unknown" when either boot ID is unreadable, in which case the
    /// counters continue as in the same boot.
    private func sameBoot(_ savedBootID: String) -> String {
        guard !bootID.isEmpty, !savedBootID.isEmpty else { return "unknown" }
        return String(savedBootID == bootID)
    }

    /// Logs the state files that do not exist, in one line for a first start when none exists.
    private func logMissing(_ paths: [String], of fileCount: Int) {
        if paths.count == fileCount {
            logger.info("no saved state; history starts empty", ("directory", store.directory))
            return
        }
        for path in paths {
            logger.info("no saved state; this part of the history starts empty", ("path", path))
        }
    }

    private func loadFile(_ file: StateStore, missing: inout [String]) -> PersistedState? {
        let bytes: [UInt8]
        do {
            guard let loaded = try file.load() else {
                missing.append(file.path)
                return nil
            }
            bytes = loaded
        } catch {
            logger.error("failed to read saved state, so this part of the history starts empty and the next save replaces the file",
                         ("path", file.path), ("err", error.description))
            return nil
        }

        let state: PersistedState
        do throws(StateFileError) {
            state = try StateFileFormat.decode(bytes)
            if !state.machineID.isEmpty, !machineID.isEmpty, state.machineID != machineID {
                throw .otherMachine(saved: state.machineID, current: machineID)
            }
        } catch {
            moveAside(file, reason: error.description)
            return nil
        }
        logger.info(
            "loaded saved state", ("path", file.path), ("bytes", String(bytes.count)),
            ("counters", String(state.counters.count)), ("saved", WallClock.iso8601(state.savedAtSeconds)),
            ("same_boot", sameBoot(state.bootID)))
        return state
    }

    private func moveAside(_ file: StateStore, reason: String) {
        do {
            let target = try file.moveAside(nowSeconds: WallClock.now())
            logger.error("saved state not loaded and moved aside, so this part of the history starts empty",
                         ("path", file.path), ("reason", reason), ("moved_to", target))
        } catch {
            logger.error("saved state not loaded and could not be moved aside, so this part of the history starts empty",
                         ("path", file.path), ("reason", reason), ("err", error.description))
        }
    }

    /// Saves in the background when the flush interval has passed since the last save.
    func saveIfDue(history: SharedHistory, ledger: CounterLedger, nowNanoseconds: UInt64) {
        let due = lastSave.withLock { last -> Bool in
            guard let previous = last else {
                // The first cycle starts the interval, so a restart loop does not write every start.
                last = nowNanoseconds
                return false
            }
            guard nowNanoseconds &- previous >= flushIntervalNanoseconds else { return false }
            last = nowNanoseconds
            return true
        }
        guard due else { return }
        let files = statesToSave(history: history, ledger: ledger, forceHours: false)
        queue.async { files.forEach(self.write) }
        // A save leaves its lists of series and chunks freed in the heap, 1.4 MB with full history
        // on the RK3588 fixture, until the next periodic trim. They are freed when the block above
        // is released, so the trim runs in a block of its own.
        queue.async { FreeMemory.release(logger: self.logger) }
    }

    /// Saves both files now and waits for every pending save, for a clean stop.
    func saveNow(history: SharedHistory, ledger: CounterLedger) {
        let files = statesToSave(history: history, ledger: ledger, forceHours: true)
        queue.sync { files.forEach(self.write) }
    }

    /// Waits until every save started so far has finished.
    func waitForSaves() {
        queue.sync {}
    }

    /// Returns the state of the main file and of each other file that changed since its last save, or
    /// of every file when `forceHours` is true. Sealed chunks come first in the result, so they are written before the
    /// open parts that follow them (see ``HistoryTier/restore(_:long:)`` for a crash in between).
    private func statesToSave(
        history: SharedHistory, ledger: CounterLedger, forceHours: Bool
    ) -> [(store: StateStore, state: PersistedState)] {
        let (families, files) = history.withHistory { history in
            var files: [(StateStore, [PersistedState.Tier])] = []
            let hourTiers = [history.hour, history.hourMaximum]
            for (file, tiers) in [(minuteChunksStore, [history.minute]), (hourChunksStore, hourTiers)]
            where forceHours || sealedChunksChanged(file, tiers) {
                files.append((file, tiers.map { history.persisted($0, sealed: true) }))
            }
            files.append((store, [history.persisted(history.minute, sealed: false)]))
            if forceHours || hourClosed(history.hour) {
                files.append((hourStore, hourTiers.map { history.persisted($0, sealed: false) }))
            }
            return (history.persistedFamilies, files)
        }

        let now = WallClock.now()
        return files.map { file, tiers in
            let state = PersistedState(
                machineID: machineID, bootID: bootID, savedAtSeconds: now,
                counters: file.fileName == StateStore.fileName ? ledger.snapshot : [:], families: families,
                tiers: tiers)
            return (file, state)
        }
    }

    /// Returns whether `tiers` sealed or dropped a chunk since `file` was last saved, and records it.
    private func sealedChunksChanged(_ file: StateStore, _ tiers: [HistoryTier]) -> Bool {
        let signature = Persistence.sealedSignature(tiers)
        return lastSignatures.withLock { saved in
            defer { saved[file.fileName] = signature }
            return saved[file.fileName] != signature
        }
    }

    /// Returns one value that changes when any of `tiers`' ``HistoryTier/sealedSignature`` does.
    private static func sealedSignature(_ tiers: [HistoryTier]) -> Int {
        var hasher = Hasher()
        tiers.forEach { hasher.combine($0.sealedSignature) }
        return hasher.finalize()
    }

    /// Returns whether an hour closed since the hour tier was last saved, and records it.
    private func hourClosed(_ hour: HistoryTier) -> Bool {
        let bucket = hour.currentBucket
        return lastSavedHour.withLock { saved in
            defer { saved = bucket }
            return saved != bucket
        }
    }

    /// Encodes one file straight into its temporary file, so no encoded copy is held in memory.
    private func write(_ file: (store: StateStore, state: PersistedState)) {
        let path = file.store.path
        do {
            try file.store.save { descriptor, temporary throws(FileError) in
                try StateFileFormat.write(file.state, to: descriptor, path: temporary)
            }
            lastErrors.withLock { $0[path] = nil }
            logger.debug("saved state", ("path", path))
        } catch {
            let message = error.description
            let isRepeat = lastErrors.withLock { errors -> Bool in
                defer { errors[path] = message }
                return errors[path] == message
            }
            if !isRepeat {
                logger.error("failed to save state, so history stays in memory and the save is retried at the next flush",
                             ("path", path), ("err", message))
            }
        }
    }
}
