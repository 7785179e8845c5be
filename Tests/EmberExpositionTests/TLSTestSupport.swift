import Foundation
import XCTest

/// Runs a command-line tool with a time limit and returns its exit status and combined output.
func runTool(_ path: String, _ arguments: [String], timeout: TimeInterval = 20) throws
    -> (status: Int32, output: String)
{
    guard FileManager.default.isExecutableFile(atPath: path) else {
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail("\(path) is missing: install the Debian package that provides it")
        }
        throw XCTSkip("\(path) is not installed")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()

    let timer = DispatchWorkItem { process.terminate() }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    timer.cancel()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A throwaway CA with server and client certificates, made by the openssl CLI in a temporary
/// directory that is removed with the object. The keys never leave that directory.
final class TestCertificates {
    static let openssl = "/usr/bin/openssl"
    let directory: String

    var caFile: String { directory + "/ca.crt" }
    var certFile: String { directory + "/server.crt" }
    var keyFile: String { directory + "/server.key" }
    var clientCertFile: String { directory + "/client.crt" }
    var clientKeyFile: String { directory + "/client.key" }

    init() throws {
        directory = NSTemporaryDirectory() + "ember-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", directory + "/ca.key", "-out", caFile, "-days", "2", "-subj", "/CN=ember-test-ca"])
        try issue(name: "server", commonName: "ember-test-server")
        try issue(name: "client", commonName: "ember-test-client")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Makes `<name>.key` and `<name>.crt` signed by the CA, by default valid for 127.0.0.1 and localhost.
    func issue(name: String, commonName: String,
               alternativeNames: String = "IP:127.0.0.1,DNS:localhost") throws {
        let extensions = directory + "/\(name).ext"
        try "subjectAltName=\(alternativeNames)\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", directory + "/\(name).key", "-out", directory + "/\(name).csr",
                     "-subj", "/CN=\(commonName)"])
        try openssl(["x509", "-req", "-in", directory + "/\(name).csr", "-CA", caFile, "-CAkey", directory + "/ca.key",
                     "-set_serial", String(UInt32.random(in: 1...UInt32.max)), "-days", "2",
                     "-extfile", extensions, "-out", directory + "/\(name).crt"])
    }

    private func openssl(_ arguments: [String]) throws {
        let (status, output) = try runTool(Self.openssl, arguments)
        guard status == 0 else {
            throw NSError(domain: "openssl", code: Int(status), userInfo: [NSLocalizedDescriptionKey: output])
        }
    }
}
