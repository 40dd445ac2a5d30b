package lib;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** What every command shares: --verbose, --dry-run, and how errors and exit codes look. */
public final class Cli {
    private Cli() {}

    /** Mixed into every command: `@Mixin Cli.Options options;`. */
    public static class Options {
        @Option(names = "--verbose", description = "Show every command run, on stderr.")
        void verbose(boolean v) {
            Exec.verbose = v;
        }

        @Option(names = "--dry-run", description = "Print the commands that would change anything instead of running them.")
        void dryRun(boolean v) {
            Exec.dryRun = v;
        }
    }

    /** Runs a command line the way images.sh does: ERROR: ... on stderr, 1 on failure, 2 on misuse. */
    public static int run(Object command, String... args) {
        return run(command, null, args);
    }

    /** Runs a command under the name it has as a subcommand (e.g. "images make"), built alone. */
    public static int run(Object command, String name, String... args) {
        CommandLine cl = new CommandLine(command);
        if (name != null) cl.setCommandName(name);
        cl.setUsageHelpAutoWidth(true);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            Throwable t = e;
            while (!(t instanceof Fail) && t.getCause() != null && !(t instanceof java.io.UncheckedIOException)) t = t.getCause();
            if (t instanceof Fail f) {
                System.err.println("ERROR: " + f.getMessage());
                if (!f.detail.isBlank()) System.err.print(f.detail.endsWith("\n") ? f.detail : f.detail + "\n");
                return f.status;
            }
            System.err.println("ERROR: " + t);
            if (Exec.verbose) t.printStackTrace();
            return 1;
        });
        cl.setParameterExceptionHandler((e, argv) -> {
            CommandLine c = e.getCommandLine();
            if (e instanceof CommandLine.UnmatchedArgumentException u && c == cl && !c.getSubcommands().isEmpty()
                    && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
                System.err.println("ERROR: Invalid command [" + u.getUnmatched().get(0) + "]");
                return 1;
            }
            System.err.println("ERROR: " + e.getMessage());
            System.err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
            return 2;
        });
        if (args.length == 0 && !cl.getSubcommands().isEmpty()) args = new String[] {"--help"};
        else if (args.length > 0 && (args[0].startsWith("-h") || args[0].equalsIgnoreCase("help") && args.length == 1))
            args = new String[] {"--help"};
        return cl.execute(args);
    }
}
