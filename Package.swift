// swift-tools-version: 6.0
// Dyno: a dynamometer for backends. No Swift package dependencies by design: Foundation, Dispatch,
// Synchronization and system C libraries (each system module names its Debian -dev provider).
import PackageDescription

let package = Package(
    name: "Dyno",
    products: [
        .executable(name: "dyno", targets: ["dyno"]),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CNcurses", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),
        // Tiny C shim for ncurses macros Swift cannot import (COLOR_PAIR, getmaxyx, ...).
        .target(name: "CNcursesShim", dependencies: ["CNcurses"]),
        // Linux calls Glibc's Swift module leaves out (epoll, eventfd, accept4, prctl).
        .target(name: "CLinuxShim"),

        // Libraries, one concern each (see README and ../shared/DESIGN.md).
        .target(name: "Metrics"),
        .target(name: "Knobs"),
        .target(name: "HTTP", dependencies: ["CLinuxShim", "Metrics", "CZlib"]),
        .target(name: "DemoBackend", dependencies: ["HTTP", "Metrics", "Knobs", "CSQLite", "CCrypto", "CZlib", "CLinuxShim"]),
        .target(name: "LoadGenerator", dependencies: ["HTTP", "Metrics", "CLinuxShim"]),
        .target(name: "Engine", dependencies: ["Metrics", "Knobs", "HTTP", "LoadGenerator", "DemoBackend"]),
        .target(name: "Console", dependencies: ["Metrics", "Knobs", "CNcursesShim"]),
        .target(name: "Headless", dependencies: ["Engine", "Metrics", "Knobs", "LoadGenerator"]),
        // The dyno command line: the one table of commands and options, parsing, usage, and the commands that
        // draw the console (they join Engine and Console). The executable only calls `DynoCLI.main`.
        .target(name: "CLI", dependencies: ["Headless", "Console", "Engine", "Knobs", "Metrics"]),
        // The executable's own malloc/calloc/realloc, forwarding to glibc and counting when asked (dyno bench).
        .target(name: "CMallocCounter"),
        .executableTarget(name: "dyno", dependencies: ["CLI", "Headless", "CMallocCounter"]),

        // Tests (Swift Testing). TestSupport holds shared helpers (free ports, temp dirs, waiting on conditions).
        .target(name: "TestSupport", dependencies: ["HTTP", "Engine"], path: "Tests/TestSupport"),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"]),
        .testTarget(name: "LoadGeneratorTests", dependencies: ["LoadGenerator", "HTTP", "Metrics", "TestSupport"]),
        .testTarget(name: "DemoBackendTests", dependencies: ["DemoBackend", "HTTP", "Knobs", "Metrics", "TestSupport"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "TestSupport"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Metrics", "Knobs", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "HeadlessTests", dependencies: ["Headless", "Engine", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["CLI", "Engine", "Console", "DemoBackend"]),
    ],
    swiftLanguageModes: [.v6]
)
