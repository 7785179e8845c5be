import EmberTestSupport
import Foundation
import XCTest

/// The agent never writes to sysfs, procfs, debugfs or devfs. This test keeps it so in the code:
/// every call that can open a file for writing, or create, rename or remove one, must be in the
/// state store, which writes only in the storage directory. `Tests/scripts/check-privileges.sh`
/// checks the same at run time under strace.
final class SourceWriteGuardTests: XCTestCase {
    /// Files allowed to write, relative to `Sources/`.
    static let writers: Set<String> = ["EmberHistory/StateStore.swift"]

    /// Calls and flags that write to the file system, in Swift and C. A C function counts only as
    /// a free call (not `set.remove(` or `func link(`).
    static let patterns: [String] = [
        #"\bO_(WRONLY|RDWR|CREAT|TRUNC|APPEND)\b"#,
        #"(?<![\w.])(?<!func )(creat|truncate|ftruncate|unlink|unlinkat|rename|renameat|renameat2)\("#,
        #"(?<![\w.])(?<!func )(mkdir|mkdirat|rmdir|remove)\("#,
        #"(?<![\w.])(?<!func )(mknod|mknodat|symlink|symlinkat|link|linkat|chmod|fchmod|chown|fchown|lchown)\("#,
        #"\bfopen\([^,]*,\s*"[^"]*[wa+]"#,
        #"\b(FileManager|FileHandle\(forWriting|createFile\(|write\(toFile:)"#,
    ]

    private var sourcesDirectory: URL {
        URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    /// Returns each matching line with its file, as `path:line: text`. Comment lines are skipped.
    private func writeCalls() throws -> [(file: String, line: String)] {
        let expressions = try Self.patterns.map { try NSRegularExpression(pattern: $0) }
        let root = sourcesDirectory.path + "/"
        var found: [(String, String)] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            guard [".swift", ".c", ".h"].contains(where: relative.hasSuffix) else { continue }
            let text = try String(contentsOfFile: root + relative, encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") || code.hasPrefix("*") || code.hasPrefix("/*") { continue }
                let range = NSRange(code.startIndex..., in: code)
                if expressions.contains(where: { $0.firstMatch(in: code, range: range) != nil }) {
                    found.append((relative, "\(relative):\(number + 1): \(code)"))
                }
            }
        }
        return found
    }

    func testOnlyStateStoreWrites() throws {
        let calls = try writeCalls()

        let outside = calls.filter { !Self.writers.contains($0.file) }.map(\.line)
        XCTAssertEqual(outside, [], "file-system writes outside the state store")
    }

    func testGuardSeesStateStoreWrites() throws {
        let calls = try writeCalls()

        let inStore = calls.filter { Self.writers.contains($0.file) }
        XCTAssertGreaterThanOrEqual(inStore.count, 3, "the patterns no longer match the state store's own writes")
    }
}
