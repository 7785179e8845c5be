#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCore
import Foundation

/// A directory under the system's temporary directory, removed on deinit: a copy of a committed
/// fixture tree, or a small tree a test writes itself, in which a test may put files the
/// repository cannot hold, such as a FIFO.
public final class TemporaryTree {
    /// The absolute path of the tree.
    public let directory: String

    /// Creates an empty tree.
    public init() throws {
        directory = NSTemporaryDirectory() + "ember-tree-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Creates a copy of the fixture tree `name` (such as `rk3588/opi5plus-mainline`), with its
    /// symbolic links kept as links.
    public convenience init(copying name: String) throws {
        try self.init()
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/bin/cp")
        copy.arguments = ["-a", Fixtures.directory + "/" + name + "/.", directory]
        try copy.run()
        copy.waitUntilExit()
        guard copy.terminationStatus == 0 else {
            throw TemporaryTreeError(message: "cp -a of fixture \(name) failed with status \(copy.terminationStatus)")
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The roots of the tree's `sys/` and `proc/` folders, laid out as in ``Fixtures/roots(_:)``.
    public var roots: SourceRoots {
        SourceRoots(sysfs: directory + "/sys", procfs: directory + "/proc", debugfs: directory + "/sys/kernel/debug",
                    devfs: directory + "/dev")
    }

    /// Returns the absolute path of `relative`.
    public func path(_ relative: String) -> String {
        directory + "/" + relative
    }

    /// Writes `content` to `relative`, creating the folders above it.
    public func write(_ content: String, at relative: String) throws {
        let target = path(relative)
        let parent = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        try content.write(toFile: target, atomically: false, encoding: .utf8)
    }

    /// Replaces the file at `relative` (following symbolic links above it) with a FIFO that no
    /// process writes to, so opening it for reading blocks in the kernel until a writer appears.
    public func replaceWithFIFO(_ relative: String) throws {
        let target = path(relative)
        unlink(target)
        guard mkfifo(target, 0o644) == 0 else {
            throw TemporaryTreeError(message: "mkfifo \(target) failed: errno \(errno)")
        }
    }
}

/// A temporary tree could not be set up.
public struct TemporaryTreeError: Error, CustomStringConvertible {
    public let message: String

    public var description: String { message }
}
