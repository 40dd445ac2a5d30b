package lib.exec;

import java.nio.file.*;

/** Progress of long work on stderr: shown when stderr is a terminal, or under --verbose; quiet otherwise. */
public final class Progress {
    private static final boolean TERMINAL = terminal(2);

    private Progress() {}

    public static boolean on(Run run) {
        return TERMINAL || run.verbose();
    }

    public static void say(Run run, String line) {
        if (on(run)) System.err.println(line);
    }

    /** Is this file descriptor a terminal? (Java 17 has no isatty; Linux tells through /proc.) */
    public static boolean terminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return false;
        }
    }
}
