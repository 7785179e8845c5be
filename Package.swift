// swift-tools-version:6.0
import PackageDescription

// Every target builds in the Swift 6 language mode, so strict concurrency checking is on everywhere.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
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
        // zlib from Debian's zlib1g-dev; there is no pkg-config file lookup needed because the
        // header sits in the default include path.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // libsensors and libpci, read through their public headers; both link dynamically against
        // the board's own libraries so its sensors3.conf and pci.ids apply.
        .systemLibrary(name: "CSensors", providers: [.apt(["libsensors-dev"])]),
        .systemLibrary(name: "CPCI", providers: [.apt(["libpci-dev"])]),
        // OpenSSL for TLS and libxcrypt for bcrypt, both the system's own, so security updates of the
        // distribution apply without rebuilding the agent.
        // NOTE: both are linked even without --web.config.file, which costs about 1.8 MB of RSS (0.45 MB
        // of it private) on x86-64 Debian 12 (BENCHMARKS.md); dlopen on demand would avoid it.
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        // C wrappers for what Swift cannot call: variadic functions and macro-built ioctl numbers.
        .target(name: "CEmberShims"),

        .target(name: "EmberCore", dependencies: ["CEmberShims"], swiftSettings: swiftSettings),
        .target(
            name: "EmberCollectors",
            dependencies: ["EmberCore", "CSensors", "CPCI", "CEmberShims"],
            swiftSettings: swiftSettings
        ),
        .target(name: "EmberHistory", dependencies: ["EmberCore"], swiftSettings: swiftSettings),
        .target(
            name: "EmberExposition",
            dependencies: ["EmberCore", "EmberHistory", "CZlib", "COpenSSL", "CCrypt"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "EmberCLI",
            dependencies: ["EmberCore", "EmberCollectors", "EmberHistory", "EmberExposition", "CEmberShims"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "ember", dependencies: ["EmberCLI"], swiftSettings: swiftSettings),

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
                    dependencies: ["EmberExposition", "EmberCore", "EmberTestSupport"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "EmberCLITests",
                    dependencies: ["EmberCLI", "EmberCollectors", "EmberExposition", "EmberCore",
                                   "EmberTestSupport"],
                    swiftSettings: swiftSettings),
    ]
)
