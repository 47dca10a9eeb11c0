import CLinuxShim
import Glibc

/// This process's memory, split the way a leak hunt needs it: anonymous pages (heap, stacks: what a leak grows)
/// apart from file-backed ones (SQLite's mapped database and shared libraries: they come and go with the page
/// cache), plus glibc's own count of heap bytes in use.
public struct ProcessMemory: Sendable, Equatable {
    /// `RssAnon` of /proc/self/status.
    public internal(set) var rssAnonBytes: UInt64 = 0
    /// `RssFile` of /proc/self/status.
    public internal(set) var rssFileBytes: UInt64 = 0
    /// `RssShmem` of /proc/self/status.
    public internal(set) var rssShmemBytes: UInt64 = 0
    /// malloc'd and not yet freed (`mallinfo2`: uordblks + hblkhd).
    public internal(set) var heapInUseBytes: UInt64 = 0
    /// Free bytes malloc keeps in its arenas (`mallinfo2`: fordblks): part of RssAnon, not in use.
    public internal(set) var heapFreeBytes: UInt64 = 0

    public var rssBytes: UInt64 { rssAnonBytes + rssFileBytes + rssShmemBytes }

    /// Reads /proc/self/status and mallinfo2; nil where /proc is not there.
    public static func read() -> ProcessMemory? {
        let fd = open("/proc/self/status", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // The file is ~1.5 KB; one read of 4 KiB gets all of it.
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = Glibc.read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        guard var memory = parseStatus(buffer[..<n]) else { return nil }
        var inUse: UInt64 = 0, free: UInt64 = 0
        dyno_heap_statistics(&inUse, &free)
        memory.heapInUseBytes = inUse
        memory.heapFreeBytes = free
        return memory
    }

    /// The `Rss*` lines of a /proc/PID/status text (`RssAnon:\t   51200 kB`); nil when RssAnon is missing.
    static func parseStatus(_ text: ArraySlice<UInt8>) -> ProcessMemory? {
        var memory = ProcessMemory()
        var sawAnon = false
        for line in text.split(separator: UInt8(ascii: "\n")) {
            guard line.starts(with: "Rss".utf8), let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            var kilobytes: UInt64 = 0
            for byte in line[(colon + 1)...] where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                kilobytes = kilobytes * 10 + UInt64(byte - UInt8(ascii: "0"))
            }
            switch name {
            case "RssAnon": memory.rssAnonBytes = kilobytes * 1024; sawAnon = true
            case "RssFile": memory.rssFileBytes = kilobytes * 1024
            case "RssShmem": memory.rssShmemBytes = kilobytes * 1024
            default: break
            }
        }
        return sawAnon ? memory : nil
    }
}

/// The two places the process steers glibc's allocator (the budget in the README's "Memory" section says why).
extension ProcessMemory {
    /// Malloc arenas allowed: one per core, at least 2 (glibc's default is 8 per core).
    ///
    /// Why: each arena keeps its own free memory, and a thread allocates from the arena it is bound to, so memory
    /// freed in one arena is not reused by threads of another. The backend and an embedded load generator run ~20
    /// threads; with 16 arenas (2 cores) a 5-minute default run kept 23 MB free inside the heap at 3 minutes and
    /// growing, 14 MB with 2 (`mallinfo2`: system − in use). Small allocations stay contention-free in each
    /// thread's tcache either way.
    static let mallocArenaLimit = max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Allocations of this size or more get their own mapping, returned to the OS when freed: 128 KiB, glibc's
    /// initial value, kept fixed. Why: glibc raises the threshold each time such a block is freed, after which the
    /// large short-lived buffers come from the arenas and their churn fragments them. Measured on the default
    /// profile when every 100 ms tick still copied ~20 latency histograms of 144 KiB (ticks now reuse theirs), free
    /// memory kept inside the heap at 2 minutes: 3.4 MB with this and the arena cap, 10.6 MB with the arena cap
    /// alone, 19.9 MB with neither.
    static let mmapThresholdBytes = 128 * 1024

    /// Applies `mallocArenaLimit` and `mmapThresholdBytes`. Process-wide; call it before the serving threads start
    /// (arenas already created stay). Idempotent.
    static func tuneAllocator() {
        _ = dyno_heap_tune(Int32(mallocArenaLimit), Int32(mmapThresholdBytes))
    }

    /// Returns free heap pages to the OS (`malloc_trim`). Why: glibc keeps freed memory in its arenas; after a
    /// large temporary allocation (seeding's 256 MiB page cache) the process would carry it as anonymous memory
    /// for the rest of its life (measured: 199 MB of RssAnon after a first start's seeding, 12 MB after a trim).
    /// It walks every arena under its lock: for after one-off work, never on a request path.
    static func returnFreedHeap() {
        _ = dyno_heap_trim()
    }
}
