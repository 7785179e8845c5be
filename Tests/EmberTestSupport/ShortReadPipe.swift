#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
import EmberCore

/// Delivers a file's content through a pipe in two parts, so the reader's first `read` returns
/// only the first part, as a real short read does.
enum ShortReadPipe {
    /// Writes the first `firstCount` bytes of `content`, lets `readPipe` read the pipe's path, and
    /// writes the rest once the first part has been read.
    static func read(
        _ content: [UInt8], firstCount: Int, as path: String, _ readPipe: (String) throws(FileError) -> [UInt8]
    ) throws(FileError) -> [UInt8] {
        let ends = makePipe()
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let first = Array(content.prefix(firstCount))
        let rest = Array(content.dropFirst(firstCount))
        writeAll(first, to: writeEnd)

        // readEnd stays open here until the writer is done, so the writer never meets a
        // pipe without readers (EPIPE and SIGPIPE).
        let writerDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            waitUntilDrained(writeEnd)
            writeAll(rest, to: writeEnd)
            close(writeEnd)
            writerDone.signal()
        }
        defer {
            writerDone.wait()
            close(readEnd)
        }
        do {
            return try readPipe("/proc/self/fd/\(readEnd)")
        } catch {
            throw error.replacingPath(with: path)
        }
    }

    /// Waits until the reader has taken every byte in the pipe (FIONREAD reaches 0), or 5 s.
    private static func waitUntilDrained(_ fd: Int32) {
        for _ in 0..<5_000 {
            var pending: Int32 = 0
            if ioctl(fd, UInt(FIONREAD), &pending) != 0 || pending == 0 {
                return
            }
            usleep(1_000)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

/// Creates a pipe whose ends are closed on exec, so a test that starts a child process does not
/// pass them on. Returns the read end first.
func makePipe() -> [Int32] {
    var ends: [Int32] = [-1, -1]
    precondition(pipe(&ends) == 0, "pipe failed: errno \(errno)")
    for end in ends {
        _ = fcntl(end, F_SETFD, FD_CLOEXEC)
    }
    return ends
}
