import Foundation

/// Runs Prometheus' own linter, `promtool check metrics` from the Debian package `prometheus`.
public enum Promtool {
    public static let path = "/usr/bin/promtool"

    /// Whether promtool is installed, so a test can skip (or fail under `CI=true`) without it.
    public static var isInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: path)
    }

    /// Whether the tests run in CI, where a missing component is a failure, not a skip.
    public static var isRequired: Bool {
        ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// Returns promtool's exit status and its combined output for `exposition`.
    public static func checkMetrics(_ exposition: [UInt8]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()

        input.fileHandleForWriting.write(Data(exposition))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, report)
    }
}
