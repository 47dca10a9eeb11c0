// dyno: dispatch only. The command table, parsing and the commands live in the CLI library (tested).
import CLI
import CMallocCounter
import Headless
#if canImport(Glibc)
import Glibc
#endif

// This executable's malloc counts allocations when asked (dyno bench); only it links the counter.
MallocCounter.install(toggle: dyno_malloc_counting, threadCount: dyno_malloc_thread_count)
exit(DynoCLI.main(Array(CommandLine.arguments.dropFirst())))
