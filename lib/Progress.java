package lib;

import java.nio.file.*;

/** Progress of long work on stderr: shown when stderr is a terminal, or under --verbose; quiet otherwise. */
public final class Progress {
    private static final boolean TERMINAL = terminal();

    private Progress() {}

    public static boolean on() {
        return TERMINAL || Exec.verbose;
    }

    public static void say(String line) {
        if (on()) System.err.println(line);
    }

    /** Is fd 2 a terminal? (Java 17 has no isatty; Linux tells through /proc.) */
    private static boolean terminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return false;
        }
    }
}
