#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLibFuzzer

/// The body of the running fuzz target. libFuzzer's callback is a C function pointer, which cannot
/// capture context, so the body is kept here. libFuzzer calls it from one thread at a time.
nonisolated(unsafe) private var currentBody: (([UInt8]) -> Void)?

/// Runs libFuzzer with `body` as the target and exits with libFuzzer's status.
///
/// Each fuzz executable calls this from `main.swift`. SwiftPM links an executable's entry point as
/// `main`, so libFuzzer's own `main` is never used and the driver is started here instead. The body
/// must not keep state between inputs, so that a crashing input reproduces on its own.
public func runFuzzer(_ body: @escaping ([UInt8]) -> Void) -> Never {
    if getenv("EMBER_FUZZ_LIST_FILES") != nil {
        exit(0)
    }
    currentBody = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        currentBody?(input)
        return 0
    }
    exit(status)
}
