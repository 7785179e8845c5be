// Measures what PermissionDenialCache adds to a read: the same files are read through
// SystemFileSystem, through the cache with nothing denied, and through the cache while one other
// path is denied (then every read hashes its path). Build and run from the repository root:
//
//   swiftc -O -parse-as-library -module-name DenialBench Sources/EmberCore/FileSystem.swift \
//       Sources/EmberCore/FileError.swift Sources/EmberCore/PermissionDenialCache.swift \
//       Sources/EmberCore/Clock.swift Tests/scripts/denial-cache-bench.swift -o /tmp/denial-bench
//   /tmp/denial-bench Tests/Fixtures/rk3588/opi5plus-mainline
//
// Results are in BENCHMARKS.md. The fixture files are regular files, so a read costs less than a
// sysfs read on a board, and the overhead is a larger share here than there.
import Glibc

/// Appends the regular files under `directory` to `list`, depth first.
func files(_ directory: String, into list: inout [String]) {
    guard let dir = opendir(directory) else { return }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name == "." || name == ".." {
            continue
        }
        let path = directory + "/" + name
        if entry.pointee.d_type == UInt8(DT_DIR) {
            files(path, into: &list)
        } else if entry.pointee.d_type == UInt8(DT_REG) {
            list.append(path)
        }
    }
}

/// Seconds on the monotonic clock.
func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

@main
struct Bench {
    static func main() {
        var paths: [String] = []
        files(CommandLine.arguments[1] + "/sys/class", into: &paths)
        files(CommandLine.arguments[1] + "/sys/devices/system/cpu", into: &paths)
        paths = Array(paths.prefix(400))
        let plain = SystemFileSystem()
        let cached = PermissionDenialCache(base: SystemFileSystem())
        let withDenied = PermissionDenialCache(base: DenyOne(base: SystemFileSystem(), path: "/nonexistent/denied"))
        _ = try? withDenied.readAttribute("/nonexistent/denied")
        let rounds = 200
        for round in 0..<3 {
            let variants: [(String, any FileSystem)] = [
                ("SystemFileSystem", plain), ("PermissionDenialCache", cached), ("cache, one path denied", withDenied),
            ]
            for (name, fileSystem) in variants {
                let start = now()
                var bytes = 0
                for _ in 0..<rounds {
                    for path in paths {
                        bytes += (try? fileSystem.readAttribute(path).count) ?? 0
                    }
                }
                let perRead = (now() - start) / Double(rounds * paths.count) * 1e9
                print("round \(round) \(name): \(paths.count) files x \(rounds): \(Int(perRead)) ns per read, \(bytes) bytes")
            }
        }
    }
}

/// A file system that denies one path with EACCES and passes every other read on.
final class DenyOne: FileSystem {
    let base: any FileSystem
    let path: String

    init(base: any FileSystem, path: String) {
        self.base = base
        self.path = path
    }

    func readAttribute(_ p: String) throws(FileError) -> [UInt8] {
        if p == path {
            throw FileError(operation: "open", path: p, code: EACCES)
        }
        return try base.readAttribute(p)
    }

    func readFile(_ p: String, limit: Int) throws(FileError) -> [UInt8] { try base.readFile(p, limit: limit) }
    func listDirectory(_ p: String) throws(FileError) -> [String] { try base.listDirectory(p) }
    func readLink(_ p: String) throws(FileError) -> String { try base.readLink(p) }
    func resolvePath(_ p: String) throws(FileError) -> String { try base.resolvePath(p) }
    func fileKind(_ p: String) -> FileKind? { base.fileKind(p) }
}
