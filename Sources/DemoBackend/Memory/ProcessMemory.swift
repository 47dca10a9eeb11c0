import CLinuxShim
import Glibc

/// This process's memory, split the way a leak hunt needs it: anonymous pages (heap, stacks: what a leak grows)
/// apart from file-backed ones (SQLite's mapped database and shared libraries: they come and go with the page
/// cache), plus glibc's own count of heap bytes in use.
struct ProcessMemory: Sendable, Equatable {
    /// `RssAnon` of /proc/self/status.
    var rssAnonBytes: UInt64 = 0
    /// `RssFile` of /proc/self/status.
    var rssFileBytes: UInt64 = 0
    /// `RssShmem` of /proc/self/status.
    var rssShmemBytes: UInt64 = 0
    /// malloc'd and not yet freed (`mallinfo2`: uordblks + hblkhd).
    var heapInUseBytes: UInt64 = 0
    /// Free bytes malloc keeps in its arenas (`mallinfo2`: fordblks): part of RssAnon, not in use.
    var heapFreeBytes: UInt64 = 0

    var rssBytes: UInt64 { rssAnonBytes + rssFileBytes + rssShmemBytes }

    /// Reads /proc/self/status and mallinfo2; nil where /proc is not there.
    static func read() -> ProcessMemory? {
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
