package lib.exec;

import lib.Fail;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.*;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.*;

/**
 * Private temporary folders and half-written outputs, removed on every exit,
 * also on Ctrl-C and TERM (one JVM shutdown hook, after running programs are stopped).
 */
public final class Temp {
    private static final Set<Path> owned = Collections.synchronizedSet(new LinkedHashSet<>());

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Temp::cleanup, "images-cleanup"));
    }

    private Temp() {}

    /** A fresh folder only the caller can read, under $TMPDIR (or /tmp); its name carries our PID. */
    public static Path dir(String prefix) {
        try {
            String base = System.getenv().getOrDefault("TMPDIR", "/tmp");
            cleanStale(Path.of(base));
            Path d = Files.createTempDirectory(Path.of(base), prefix + "-" + PID + "-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            owned.add(d);
            return d;
        } catch (IOException e) {
            throw Fail.die("Can't create a temporary folder [" + e.getMessage() + "]");
        }
    }

    private static final long PID = ProcessHandle.current().pid();
    // Mutable on purpose: stale folders are looked for once per process (as the one shutdown hook
    // is added once), whichever command asks for a temporary folder first
    private static boolean cleaned;
    /** Our folders' names: images-PREFIX-PID-RANDOM. */
    private static final java.util.regex.Pattern STALE = java.util.regex.Pattern.compile("images(-[a-z]+)*-([0-9]{1,10})-[0-9]+");

    /** Temporary folders of our runs that were killed (their PID is gone): removed once per run. */
    private static synchronized void cleanStale(Path base) {
        if (cleaned) return;
        cleaned = true;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(base, "images-*")) {
            for (Path p : s) {
                java.util.regex.Matcher m = STALE.matcher(p.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(2))).isEmpty()
                        && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && mine(p)) delete(p);
            }
        } catch (IOException e) {
            // best effort: a stale folder only costs space
        }
    }

    /** Removed on exit unless disowned (or committed). */
    public static void own(Path p) {
        owned.add(p);
    }

    public static void disown(Path p) {
        owned.remove(p);
    }

    /** Atomically moves a finished partial file to its target. */
    public static void commit(Path partial, Path target) {
        try {
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            owned.remove(partial);
        } catch (IOException e) {
            throw Fail.die("Can't write [" + target + "]: " + e.getMessage());
        }
    }

    /** Removes a temporary folder now: mounts under it first, then the files. */
    public static synchronized void delete(Path p) {
        unmount(Run.QUIET, p); // best effort, quiet: the step that mounted has unmounted under its own options (make's mktar)
        try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                Files.walkFileTree(p, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                        d.toFile().setWritable(true, true); // read-only folders in layer trees
                        d.toFile().setExecutable(true, true);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                        Files.deleteIfExists(f);
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                        if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                        throw e;
                    }

                    @Override
                    public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                        Files.deleteIfExists(d);
                        return FileVisitResult.CONTINUE;
                    }
                });
            } else {
                Files.deleteIfExists(p);
            }
            owned.remove(p);
        } catch (IOException e) {
            System.err.println("WARNING: could not remove [" + p + "]: " + e);
        }
    }

    /** skopeo leaves ROOT/overlay bind-mounted; never delete through a mount. */
    public static void unmount(Run run, Path p) {
        Path mountinfo = Path.of("/proc/self/mountinfo");
        if (!Files.isReadable(mountinfo)) return;
        try {
            String prefix = p.toAbsolutePath().normalize().toString();
            List<String> points = new ArrayList<>();
            for (String line : Files.readAllLines(mountinfo)) {
                String point = line.split(" ")[4].replace("\\040", " ");
                if (point.equals(prefix) || point.startsWith(prefix + "/")) points.add(point);
            }
            points.sort(Comparator.reverseOrder()); // deepest first
            for (String point : points) Exec.of(run, "umount", "-l", point).ok(); // best effort: the delete then refuses a mount
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void cleanup() {
        Processes.stopAll();
        List<Path> left;
        synchronized (owned) {
            left = new ArrayList<>(owned);
        }
        Collections.reverse(left);
        for (Path p : left) delete(p);
    }

    /** Whether a path is ours (our uid): only then may a stale one be removed. */
    public static boolean mine(Path p) throws IOException {
        return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS).equals(uid());
    }

    public static Object uid() throws IOException {
        return Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }
}
