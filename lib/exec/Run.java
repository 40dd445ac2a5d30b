package lib.exec;

/**
 * The options every command shares, as a value handed down from the command to what runs
 * programs or prints: --verbose (show every command run, and progress) and --dry-run (print
 * what would change anything instead of doing it). Built by lib/cli/Cli's mixin.
 */
public record Run(boolean verbose, boolean dryRun) {
    /** Neither option: for tests, and for best-effort work that never changes anything. */
    public static final Run QUIET = new Run(false, false);

    /** A line on stderr, under --verbose only. */
    public void say(String line) {
        if (verbose) System.err.println(line);
    }
}
