#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import EmberCore
import EmberHistory
import Synchronization

/// Loads the state file at start and saves it every flush interval and at stop.
///
/// The sampling thread encodes the state under the history lock (a copy of compressed chunks),
/// and a serial queue writes it, so a slow flash write does not delay the next sample.
final class Persistence: Sendable {
    let store: StateStore
    let machineID: String
    let bootID: String
    private let flushIntervalNanoseconds: UInt64
    private let logger: Logger
    private let lastSave = Mutex<UInt64?>(nil)
    /// Repeated save failures with the same error are logged once.
    private let lastError = Mutex<String?>(nil)
    private let queue = DispatchQueue(label: "ember.persistence")

    init(store: StateStore, machineID: String, bootID: String, flushIntervalSeconds: Double, logger: Logger) {
        self.store = store
        self.machineID = machineID
        self.bootID = bootID
        flushIntervalNanoseconds = UInt64(flushIntervalSeconds * 1e9)
        self.logger = logger
    }

    /// Loads the saved tiers into `history` and returns the saved counters. Without a file, or with an
    /// unreadable one (logged), history starts empty. A corrupt file, or one from a newer version or
    /// another machine, is logged and moved aside, and history starts empty too.
    func load(into history: History) -> [String: SavedCounter] {
        let bytes: [UInt8]
        do {
            guard let loaded = try store.load() else {
                logger.info("no saved state, starting with empty history", ("path", store.path))
                return [:]
            }
            bytes = loaded
        } catch {
            logger.error("cannot read saved state, starting with empty history", ("err", error.description))
            return [:]
        }

        let state: PersistedState
        do throws(StateFileError) {
            state = try StateFileFormat.decode(bytes)
            if !state.machineID.isEmpty, !machineID.isEmpty, state.machineID != machineID {
                throw .otherMachine(saved: state.machineID, current: machineID)
            }
        } catch {
            moveAside(reason: error.description)
            return [:]
        }

        history.restore(state.families)
        for problem in history.restore(state.tiers) {
            logger.warn("part of the saved history was not loaded", ("path", store.path), ("reason", problem))
        }
        logger.info(
            "loaded saved state", ("path", store.path), ("bytes", String(bytes.count)),
            ("counters", String(state.counters.count)),
            ("saved", WallClock.iso8601(state.savedAtSeconds)),
            ("same_boot", String(!bootID.isEmpty && state.bootID == bootID)))
        return state.counters
    }

    private func moveAside(reason: String) {
        do {
            let target = try store.moveAside(nowSeconds: WallClock.now())
            logger.error("saved state not loaded, moved aside; starting with empty history",
                         ("path", store.path), ("reason", reason), ("moved_to", target))
        } catch {
            logger.error("saved state not loaded and could not be moved aside; starting with empty history",
                         ("path", store.path), ("reason", reason), ("err", error.description))
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
        let bytes = encode(history: history, ledger: ledger)
        queue.async { self.write(bytes) }
    }

    /// Saves now and waits for every pending save, for a clean stop.
    func saveNow(history: SharedHistory, ledger: CounterLedger) {
        let bytes = encode(history: history, ledger: ledger)
        queue.sync { self.write(bytes) }
    }

    private func encode(history: SharedHistory, ledger: CounterLedger) -> [UInt8] {
        let (families, tiers) = history.withHistory { ($0.persistedFamilies, $0.persistedTiers) }
        let state = PersistedState(
            machineID: machineID, bootID: bootID, savedAtSeconds: WallClock.now(), counters: ledger.snapshot,
            families: families, tiers: tiers)
        return StateFileFormat.encode(state)
    }

    private func write(_ bytes: [UInt8]) {
        do {
            try store.save(bytes)
            lastError.withLock { $0 = nil }
            logger.debug("saved state", ("path", store.path), ("bytes", String(bytes.count)))
        } catch {
            let message = error.description
            let isRepeat = lastError.withLock { last -> Bool in
                defer { last = message }
                return last == message
            }
            if !isRepeat {
                logger.error("cannot save state; history stays in memory and is retried at the next flush",
                             ("path", store.path), ("err", message))
            }
        }
    }
}
