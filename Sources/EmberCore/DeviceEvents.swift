#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CEmberShims
import Synchronization

/// Tells the layout caches when the kernel adds, removes or moves a device, so that they rescan
/// then instead of waiting for their interval.
///
/// The kernel announces each such change with a uevent on a netlink socket, the one udev listens
/// to. The agent drains the socket once per sample cycle (``poll()``) and counts the cycles that
/// saw a change in ``generation``. Each ``TreeLayoutCache`` rescans when the count moved since its
/// last rescan, so a device added while the agent runs appears one or two samples later instead of
/// up to one rescan interval later.
///
/// The interval stays as the fallback: a container without the host's network namespace gets no
/// uevents for most devices, and attributes read once per rescan (limits, labels, addresses)
/// change without one.
public final class DeviceEvents: Sendable {
    /// The number of polls that found a device added, removed or moved, or lost messages.
    public let generation = Atomic<UInt64>(0)
    /// Every uevent read, "change" events included, for tests and diagnostics.
    public let received = Atomic<UInt64>(0)
    /// The netlink socket, or -1 for an instance that only tests move.
    private let descriptor: Int32
    private let logger: Logger?
    /// Set after the first failed read, so a broken socket logs once.
    private let loggedFailure = Atomic<Bool>(false)

    /// Opens the kernel's uevent socket. Returns nil, after a debug message, where the kernel or the
    /// container refuses it; the layout caches then rescan at their interval only.
    public static func listen(logger: Logger) -> DeviceEvents? {
        let result = ember_uevent_open()
        guard result >= 0 else {
            logger.debug("failed to open the kernel uevent socket. Devices added later are found at the rescan interval",
                         ("err", String(cString: strerror(-result))))
            return nil
        }
        return DeviceEvents(descriptor: result, logger: logger)
    }

    /// Returns whether `path` is a mount of the kernel's sysfs (SYSFS_MAGIC from the kernel's
    /// include/uapi/linux/magic.h), the only tree uevents describe. A fixture tree on disk is not.
    public static func isKernelSysfs(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }

        var type: Int64 = 0
        return ember_file_system_type(descriptor, &type) == 0 && type == 0x6265_6572
    }

    /// Creates an instance without a socket, whose generation only ``noteDeviceChange()`` moves.
    public convenience init() {
        self.init(descriptor: -1, logger: nil)
    }

    private init(descriptor: Int32, logger: Logger?) {
        self.descriptor = descriptor
        self.logger = logger
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
        }
    }

    /// Reads the uevents that arrived since the last call, without blocking, and moves the
    /// generation once if any of them added, removed or moved a device. One `recv` that returns
    /// EAGAIN when nothing happened.
    public func poll() {
        guard descriptor >= 0 else { return }

        var count: Int32 = 0
        let moves = ember_uevent_drain(descriptor, &count)
        received.add(UInt64(count), ordering: .relaxed)
        if moves > 0 {
            noteDeviceChange()
        } else if moves < 0, !loggedFailure.exchange(true, ordering: .relaxed) {
            logger?.warn("failed to read kernel uevents. Devices added later are found at the rescan interval",
                         ("err", String(cString: strerror(-moves))))
        }
    }

    /// Moves the generation, as a poll that saw a device come or go does.
    public func noteDeviceChange() {
        generation.add(1, ordering: .relaxed)
    }
}
