// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "pagestate",
  products: [
    .executable(name: "pagestate", targets: ["pagestate"]),
    // The libraries a Swift client can depend on (README, "Using the libraries").
    .library(name: "PageStateTrace", targets: ["PageStateTrace"]),
    .library(name: "PageStateModel", targets: ["PageStateModel"]),
    .library(name: "PageStateEngine", targets: ["PageStateEngine"]),
    .library(name: "PageStateReports", targets: ["PageStateReports"]),
    .library(name: "PageStateExplore", targets: ["PageStateExplore"]),
    .library(name: "PageStateWorkloads", targets: ["PageStateWorkloads"]),
    .library(name: "PageStateImport", targets: ["PageStateImport"]),
  ],
  targets: [
    // The trace language: byte reader, lexer, parser, statements, locations, errors.
    .target(name: "PageStateTrace"),
    // Pages, folios, references, policies, findings, and the architectures' rules.
    .target(name: "PageStateModel", dependencies: ["PageStateTrace"]),
    // Actors, program order, waits, hang analysis, replay / compare / check.
    .target(name: "PageStateEngine", dependencies: ["PageStateTrace", "PageStateModel"]),
    // The interleaving search of `pagestate explore`.
    .target(name: "PageStateExplore", dependencies: ["PageStateTrace", "PageStateModel", "PageStateEngine"]),
    // The synthetic workloads of `pagestate generate`.
    .target(name: "PageStateWorkloads", dependencies: ["PageStateTrace"]),
    // `pagestate import`: kernel traces (tracefs, trace-cmd, perf, bpftrace) to the trace language.
    .target(name: "PageStateImport", dependencies: ["PageStateTrace"]),
    // Text and JSON writers over a TextOutputStream.
    .target(name: "PageStateReports", dependencies: ["PageStateTrace", "PageStateModel", "PageStateEngine"]),
    // The thin command-line front end.
    .executableTarget(
      name: "pagestate",
      dependencies: ["PageStateTrace", "PageStateModel", "PageStateEngine", "PageStateReports", "PageStateWorkloads", "PageStateExplore", "PageStateImport"]),
    // The benchmark entry point (release build): prints the performance targets.
    .executableTarget(name: "pagestate-bench", dependencies: ["PageStateTrace", "PageStateWorkloads"]),
    .testTarget(name: "PageStateTraceTests", dependencies: ["PageStateTrace"]),
    .testTarget(name: "PageStateModelTests", dependencies: ["PageStateTrace", "PageStateModel", "PageStateEngine"]),
    .testTarget(name: "PageStateEngineTests", dependencies: ["PageStateTrace", "PageStateModel", "PageStateEngine"]),
    .testTarget(name: "PageStateReportsTests", dependencies: ["PageStateTrace", "PageStateModel", "PageStateEngine", "PageStateReports"], exclude: ["Golden"]),
    .testTarget(name: "PageStateWorkloadsTests", dependencies: ["PageStateTrace", "PageStateModel", "PageStateEngine", "PageStateWorkloads"]),
    .testTarget(name: "PageStateExploreTests", dependencies: ["PageStateTrace", "PageStateModel", "PageStateEngine", "PageStateExplore"]),
    .testTarget(name: "PageStateImportTests", dependencies: ["PageStateTrace", "PageStateModel", "PageStateEngine", "PageStateImport"]),
    .testTarget(name: "pagestateTests", dependencies: ["PageStateReports"]),
  ],
  swiftLanguageModes: [.v6]
)

// The libFuzzer target (docs/fuzzing.md), only when asked for:
// PAGESTATE_FUZZ=1 swift build -c release --product pagestate-fuzz -Xswiftc -sanitize=fuzzer,address ...
if Context.environment["PAGESTATE_FUZZ"] != nil {
  package.targets.append(
    .executableTarget(
      name: "pagestate-fuzz",
      dependencies: ["PageStateTrace", "PageStateModel", "PageStateEngine"],
      exclude: ["pagestate.dict"],
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
  package.products.append(.executable(name: "pagestate-fuzz", targets: ["pagestate-fuzz"]))
}
