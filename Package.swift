// swift-tools-version:6.0
import PackageDescription

// Every target builds in the Swift 6 language mode, so strict concurrency checking is on everywhere.
// Release builds put each function in a section of its own, so the linker can drop unused ones and
// pack the ones `ember serve` runs together (see `releaseLinkerSettings`).
// NOTE: swiftc skips code generation for a module whose IR hash is unchanged, so an existing release
// build keeps objects without function sections until `.build/release` is removed.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-Xfrontend", "-function-sections"], .when(configuration: .release)),
]

/// Settings of the agent's own targets. They do not import `_StringProcessing` (Swift `Regex` and
/// the string algorithms built on it), which the compiler otherwise imports into every file. Its two
/// libraries made the release binary 1.9 MB larger and kept 0.1–0.4 MiB more resident
/// (BENCHMARKS.md). Tests keep the import. NOTE: its string methods, such as `contains(_: String)`,
/// stay visible through `import Dispatch` and link it again, so Tests/scripts/test.sh checks the binary.
let sourceSwiftSettings: [SwiftSetting] = swiftSettings + [
    .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"]),
]

/// The directory of this manifest, so linker flags can name files of the package by absolute path.
let packageDirectory = String(#filePath.dropLast("/Package.swift".count))

/// Linker inputs of the release binary, kept in Sources/ember/linker.
let linkerDirectory = "\(packageDirectory)/Sources/ember/linker"

/// Release-only linker settings of the `ember` executable, each measured in BENCHMARKS.md.
///
/// - `--section-ordering-file` packs the functions listed in text-order.txt together in .text. The
///   kernel maps up to 64 KiB around each page fault of a file mapping, so scattered hot functions
///   kept most of the 6 MB of code resident. Packed, they use about 1.7 MiB less. It is an option of
///   gold, the linker swiftc 6.3 uses on Linux. Tests/scripts/text-order.py regenerates the list.
/// - `-L` puts the linker script libstdc++.so first in the search for `-lstdc++`, which the Swift
///   runtime needs, so the C++ runtime is linked from libstdc++.a. The shared library's symbol
///   tables and relocations alone kept about 0.6 MiB resident.
///
/// NOTE: SwiftPM does not track these files, so remove .build/release/ember after changing one.
let releaseLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-L", linkerDirectory,
                  "-Xlinker", "--section-ordering-file=\(linkerDirectory)/text-order.txt"],
                 .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "Ember",
    products: [
        .executable(name: "ember", targets: ["ember"]),
        // The libraries the fuzz targets in Fuzzing/ link, which is a separate package so the
        // libFuzzer entry points and sanitizer flags stay out of this build.
        .library(name: "EmberLibraries",
                 targets: ["EmberCore", "EmberCollectors", "EmberHistory", "EmberExposition"]),
    ],
    targets: [
        // zlib from Debian's zlib1g-dev, for the tests' independent gzip inflate; no pkg-config
        // lookup is needed because the header sits in the default include path.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // ISA-L's igzip compresses gzip responses: right after a wake-up, as at a scrape, its level 0
        // took 0.4 times the time of libdeflate's level 1 on the fixtures' expositions, for bodies
        // a fifth larger (BENCHMARKS.md). Debian builds it with its x86_64 and aarch64 code.
        .systemLibrary(name: "CIsal", providers: [.apt(["libisal-dev"])]),
        // libsensors and libpci, read through their public headers; both link dynamically against
        // the board's own libraries so its sensors3.conf and pci.ids apply.
        .systemLibrary(name: "CSensors", providers: [.apt(["libsensors-dev"])]),
        .systemLibrary(name: "CPCI", providers: [.apt(["libpci-dev"])]),
        // OpenSSL for TLS and libxcrypt for bcrypt, both the system's own, so security updates of the
        // distribution apply without rebuilding the agent. Neither is linked: EmberExposition loads them
        // with dlopen when the web configuration needs them. An agent without a web config keeps
        // 1.4-1.9 MiB less resident, or about 0.9 MiB once it has released unused file pages
        // (BENCHMARKS.md). Building needs their headers (libssl-dev, libcrypt-dev).
        .target(name: "COpenSSL", dependencies: ["CEmberShims"]),
        .target(name: "CCrypt", dependencies: ["CEmberShims"]),
        // C wrappers for what Swift cannot call: variadic functions and macro-built ioctl numbers.
        .target(name: "CEmberShims"),

        .target(name: "EmberCore", dependencies: ["CEmberShims"], swiftSettings: sourceSwiftSettings),
        .target(
            name: "EmberCollectors",
            dependencies: ["EmberCore", "CSensors", "CPCI", "CEmberShims"],
            swiftSettings: sourceSwiftSettings
        ),
        .target(name: "EmberHistory", dependencies: ["EmberCore"], swiftSettings: sourceSwiftSettings),
        .target(
            name: "EmberExposition",
            dependencies: ["EmberCore", "EmberHistory", "CIsal", "COpenSSL", "CCrypt", "CEmberShims"],
            swiftSettings: sourceSwiftSettings
        ),
        .target(
            name: "EmberCLI",
            dependencies: ["EmberCore", "EmberCollectors", "EmberHistory", "EmberExposition", "CEmberShims"],
            swiftSettings: sourceSwiftSettings
        ),
        .executableTarget(name: "ember", dependencies: ["EmberCLI"], exclude: ["linker"],
                          swiftSettings: sourceSwiftSettings, linkerSettings: releaseLinkerSettings),

        .target(name: "EmberTestSupport", dependencies: ["EmberCore"], path: "Tests/EmberTestSupport",
                swiftSettings: swiftSettings),
        .testTarget(name: "EmberCoreTests", dependencies: ["EmberCore", "EmberTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "EmberCollectorsTests",
                    dependencies: ["EmberCollectors", "EmberCore", "EmberTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "EmberHistoryTests", dependencies: ["EmberHistory", "EmberCore"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "EmberExpositionTests",
                    // zlib inflates the gzip bodies in the tests, independent of libdeflate.
                    dependencies: ["EmberExposition", "EmberCore", "EmberTestSupport", "CZlib"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "EmberCLITests",
                    dependencies: ["EmberCLI", "EmberCollectors", "EmberExposition", "EmberCore",
                                   "EmberTestSupport"],
                    swiftSettings: swiftSettings),
    ]
)
