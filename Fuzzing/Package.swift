// swift-tools-version:6.0
// libFuzzer targets for Ember's parsers, one executable each. A separate package, so the libFuzzer
// entry points and sanitizer flags stay out of Ember's own build; it links Ember's libraries by path.
// Build and run through Tests/scripts/fuzz.sh, which adds -sanitize=fuzzer,address and -enable-testing
// (for @testable imports of internal parsers) and links with lld.
import PackageDescription

let targets = [
    "FuzzSysfsValues", "FuzzProcStat", "FuzzNetDev", "FuzzMountInfo", "FuzzDevfreq", "FuzzCpuidle", "FuzzHwmon",
    "FuzzRKNPU", "FuzzPowerSupply", "FuzzPCI", "FuzzNVMeSmart", "FuzzDeviceTree", "FuzzCollectors",
    "FuzzProcessStatus", "FuzzStateFile", "FuzzQuery", "FuzzHTTPRequest", "FuzzWebConfig",
]

let package = Package(
    name: "EmberFuzzing",
    dependencies: [
        // The name is given because a path dependency's identity is its directory name, which is
        // whatever the checkout is called.
        .package(name: "Ember", path: ".."),
    ],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer", .product(name: "EmberLibraries", package: "Ember")]),
    ] + targets.map { .executableTarget(name: $0, dependencies: ["FuzzSupport"]) }
)
