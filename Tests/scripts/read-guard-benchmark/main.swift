// Measures what the per-read deadline adds to one sysfs read: CPU time per `readAttribute` of
// SystemFileSystem without and with a read timeout, and of a bare open+read+close loop. The stdio
// modes read as libsensors does (fopen, fscanf, fclose), bare and inside `withReadDeadline`.
// Built and run by Tests/scripts/read-guard-benchmark.sh, which compiles it with EmberCore's sources.
// Usage: bench raw|plain|guarded|stdio|stdio-guarded PATH COUNT; prints the mode and CPU
// nanoseconds per read.
import Glibc

let mode = CommandLine.arguments[1]
let path = CommandLine.arguments[2]
let count = Int(CommandLine.arguments[3]) ?? 200_000

func cpuNanoseconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    let user = Double(usage.ru_utime.tv_sec) * 1e9 + Double(usage.ru_utime.tv_usec) * 1e3
    return user + Double(usage.ru_stime.tv_sec) * 1e9 + Double(usage.ru_stime.tv_usec) * 1e3
}

let plain = SystemFileSystem()
let guarded = SystemFileSystem(readTimeoutSeconds: 0.25)
var buffer = [UInt8](repeating: 0, count: SystemFileSystem.attributeLimit)
var bytes = 0

/// Reads one number as libsensors 3.6 reads an attribute, and returns it, or -1 on failure.
func stdioNumber(_ path: String) -> Int {
    guard let file = fopen(path, "r") else { return -1 }
    defer { fclose(file) }

    var value = 0.0
    let scan: (CVaListPointer) -> Int32 = { vfscanf(file, "%lf", $0) }
    let matched = withUnsafeMutablePointer(to: &value) { withVaList([$0], scan) }
    return matched == 1 ? Int(value) : -1
}

let start = cpuNanoseconds()
switch mode {
case "raw":
    for _ in 0..<count {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        bytes &+= buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        close(fd)
    }
case "plain":
    for _ in 0..<count { bytes &+= (try? plain.readAttribute(path))?.count ?? -1 }
case "stdio":
    for _ in 0..<count { bytes &+= stdioNumber(path) }
case "stdio-guarded":
    for _ in 0..<count { bytes &+= (try? guarded.withReadDeadline(reading: path) { stdioNumber(path) }) ?? -1 }
default:
    for _ in 0..<count { bytes &+= (try? guarded.readAttribute(path))?.count ?? -1 }
}
let perRead = (cpuNanoseconds() - start) / Double(count)
print(mode, Int(perRead.rounded()), bytes / count)
