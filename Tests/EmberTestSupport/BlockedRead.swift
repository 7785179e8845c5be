#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import Synchronization

/// A read fault that blocks in a real `read` system call on an empty pipe until the test calls
/// ``release()``, so the agent's read deadline meets it as it meets a driver that never returns.
///
/// The reader opens the pipe through `/proc/self/fd`, so the `open` and `read` run inside the
/// file system under test, with its deadline armed.
public final class BlockedRead: Sendable {
    private let readEnd: Int32
    private let writeEnd: Atomic<Int32>
    private let started = Atomic<Int>(0)

    init() {
        let ends = makePipe()
        readEnd = ends[0]
        writeEnd = Atomic(ends[1])
    }

    deinit {
        close(readEnd)
        let writer = writeEnd.exchange(-1, ordering: .sequentiallyConsistent)
        if writer >= 0 {
            close(writer)
        }
    }

    /// The number of reads that have reached the blocking call.
    public var startedReads: Int {
        started.load(ordering: .sequentiallyConsistent)
    }

    /// Whether ``release()`` was called.
    public var isReleased: Bool {
        writeEnd.load(ordering: .sequentiallyConsistent) < 0
    }

    /// Ends the block: reads waiting now see end of file on the pipe and go on to the real file,
    /// and later reads no longer block.
    public func release() {
        let writer = writeEnd.exchange(-1, ordering: .sequentiallyConsistent)
        if writer >= 0 {
            close(writer)
        }
    }

    /// Waits up to `timeoutSeconds` until at least `count` reads have started blocking.
    /// - Returns: whether they did.
    public func waitForStartedReads(_ count: Int, timeoutSeconds: Double) -> Bool {
        let clock = SystemClock()
        let end = clock.monotonicNanoseconds() + UInt64(timeoutSeconds * 1e9)
        while startedReads < count {
            if clock.monotonicNanoseconds() >= end {
                return false
            }
            usleep(1_000)
        }
        return true
    }

    /// Blocks in the stdio calls a C library such as libsensors makes, `fopen` then `fread` of the
    /// pipe, unless released. glibc returns from `fread` with a short count when a signal
    /// interrupts the `read` in it, so this returns at the read deadline or at release.
    func waitInStdioRead() {
        guard !isReleased else { return }

        started.add(1, ordering: .sequentiallyConsistent)
        guard let file = fopen("/proc/self/fd/\(readEnd)", "r") else { return }
        defer { fclose(file) }
        var byte: UInt8 = 0
        _ = fread(&byte, 1, 1, file)
    }

    /// Runs `readPipe` on the pipe's path unless released, and maps its errors to `path`.
    func waitForRelease(as path: String, _ readPipe: (String) throws(FileError) -> Void) throws(FileError) {
        guard !isReleased else { return }

        started.add(1, ordering: .sequentiallyConsistent)
        do {
            try readPipe("/proc/self/fd/\(readEnd)")
        } catch {
            throw error.replacingPath(with: path)
        }
    }
}
