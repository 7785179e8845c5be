#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import EmberHistory

/// Chooses the state directory and reads the machine and boot IDs the state file records.
enum StorageSetup {
    private static let fixHint = "Give --storage.path a writable directory, or --no-storage to keep history in memory "
        + "on purpose."

    /// Returns the persistence for `options`, or nil when it is off or no directory is usable.
    static func persistence(_ options: AgentOptions, logger: Logger) -> Persistence? {
        guard let requested = options.storage.path else {
            logger.info("persistence is off, so history is kept in memory only")
            return nil
        }
        guard let store = usableStore(requested, isDefault: options.storage.pathIsDefault, logger: logger),
              lock(store, logger: logger)
        else {
            return nil
        }
        let reader = SourceReader(roots: options.roots)
        return Persistence(
            store: store,
            machineID: readID(
                options.storage.machineIDPath, reader: reader, logger: logger,
                unreadable: "cannot read the machine ID; a state file saved on another machine would be loaded"),
            bootID: readID(
                options.roots.proc("sys/kernel/random/boot_id"), reader: reader, logger: logger,
                unreadable: "cannot read the boot ID; saved counters are continued as if from the same boot"),
            flushIntervalSeconds: options.storage.flushIntervalSeconds, logger: logger)
    }

    /// Locks `store`'s directory for this process and returns true, or logs why not and returns
    /// false. Two agents saving into one directory would overwrite each other's counters.
    static func lock(_ store: StateStore, logger: Logger) -> Bool {
        do {
            // The descriptor stays open, and so the directory locked, until the process exits.
            _ = try store.lock()
            return true
        } catch {
            let reason = error.code == EWOULDBLOCK
                ? "another ember process saves its state in this directory. Give this one its own --storage.path"
                : error.description
            logger.error("failed to lock the storage directory, so history is kept in memory only",
                         ("path", store.directory), ("err", reason))
            return false
        }
    }

    /// Returns a store in `requested`, or in the per-user state directory when `requested` is the
    /// default and not usable. Returns nil when neither is usable.
    static func usableStore(_ requested: String, isDefault: Bool, logger: Logger) -> StateStore? {
        let store = StateStore(directory: requested)
        do {
            try store.prepare()
            return store
        } catch {
            guard isDefault, let fallback = userStateDirectory() else {
                logger.error("storage directory is not usable, so history is kept in memory only. " + fixHint,
                             ("path", requested), ("err", error.description))
                return nil
            }
            let userStore = StateStore(directory: fallback)
            do {
                try userStore.prepare()
                logger.info("default storage directory is not writable by this user, using a per-user directory",
                            ("default", requested), ("err", error.description), ("path", fallback))
                return userStore
            } catch let fallbackError {
                logger.error("no storage directory is usable, so history is kept in memory only. " + fixHint,
                             ("path", requested), ("err", error.description), ("fallback", fallback),
                             ("fallback_err", fallbackError.description))
                return nil
            }
        }
    }

    /// Returns the per-user state directory: `$XDG_STATE_HOME/ember`, else `$HOME/.local/state/ember`.
    /// Relative values are ignored, as the XDG base directory convention requires absolute paths.
    static func userStateDirectory() -> String? {
        if let state = environment("XDG_STATE_HOME"), state.hasPrefix("/") {
            return state + "/ember"
        }
        guard let home = environment("HOME"), home.hasPrefix("/") else { return nil }
        return home + "/.local/state/ember"
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }

    /// Reads a one-line ID file. An unreadable one is logged and recorded as empty, which turns
    /// off the check it serves (another machine, another boot).
    private static func readID(_ path: String, reader: SourceReader, logger: Logger, unreadable: String) -> String {
        do {
            // An ID is one token, so taking the first field drops surrounding whitespace.
            return Text.fields(Substring(try reader.string(path))).first.map(String.init) ?? ""
        } catch {
            logger.warn(unreadable, ("path", path), ("err", "\(error)"))
            return ""
        }
    }
}
