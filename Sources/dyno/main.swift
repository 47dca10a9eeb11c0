// dyno: dispatch only. The command table, parsing and the commands live in the CLI library (tested).
import CLI
#if canImport(Glibc)
import Glibc
#endif

exit(DynoCLI.main(Array(CommandLine.arguments.dropFirst())))
