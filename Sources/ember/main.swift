#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EmberCLI

exit(EmberMain.run(Array(CommandLine.arguments.dropFirst())))
