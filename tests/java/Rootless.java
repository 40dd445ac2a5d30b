import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.*;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.*;

/**
 * Runs the toolkit's classes as an unprivileged user with no sudo (`imagestest`, made with
 * useradd when missing), through runuser. The test class path lives under root's home, which
 * that user cannot read, so it is copied once into a world-readable folder under Bed.WORK.
 */
public final class Rootless {
    public static final String USER = "imagestest";
    private static List<String> classPath;

    private Rootless() {}

    /** The user exists (made here if needed) and the tools to switch to it are there. */
    public static synchronized void require() {
        Bed.requireRoot();
        Bed.requireTools("runuser", "useradd", "id");
        if (Bed.run(Map.of(), null, "id", "-u", USER).code() != 0) {
            Bed.Result r = Bed.run(Map.of(), null, Bed.which("useradd"), "-m", USER);
            if (r.code() != 0) fail("useradd " + USER + ": " + r);
        }
        if (Bed.run(Map.of(), null, "id", "-u", USER).out().trim().equals("0")) fail(USER + " is root");
    }

    /** A folder the user may read and write, under Bed.WORK. */
    public static Path dir(String name) {
        Path d = Bed.tempDir(name);
        open(Bed.WORK);
        chmod(d, "rwxrwxrwx");
        return d;
    }

    /** Makes a file or folder readable by the user (folders on the way to it must be passable). */
    public static void open(Path p) {
        chmod(p, Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--");
    }

    /** java -cp COPY MAIN ARGS... as the unprivileged user, with the given environment. */
    public static Bed.Result java(Map<String, String> env, String mainClass, String... args) {
        List<String> argv = new ArrayList<>(List.of("runuser", "-u", USER, "--", "env"));
        env.forEach((k, v) -> argv.add(k + "=" + v));
        argv.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                String.join(":", classPath()), mainClass));
        argv.addAll(Arrays.asList(args));
        return Bed.run(Map.of(), null, Bed.WORK.toFile(), argv.toArray(String[]::new));
    }

    /** The test class path, copied where the user can read it. */
    private static synchronized List<String> classPath() {
        if (classPath != null) return classPath;
        Path cp = Bed.mkdirs(Bed.WORK.resolve("classpath"));
        List<String> out = new ArrayList<>();
        int n = 0;
        for (String e : System.getProperty("java.class.path").split(":")) {
            Path src = Path.of(e);
            if (!Files.exists(src)) continue;
            Path dst = cp.resolve(n++ + "-" + src.getFileName());
            Bed.Result r = Bed.run(Map.of(), null, "cp", "-r", src.toString(), dst.toString());
            if (r.code() != 0) fail("copy class path " + src + ": " + r);
            out.add(dst.toString());
        }
        Bed.Result r = Bed.run(Map.of(), null, "chmod", "-R", "a+rX", cp.toString());
        if (r.code() != 0) fail("chmod class path: " + r);
        open(Bed.WORK);
        classPath = out;
        return out;
    }

    private static void chmod(Path p, String perms) {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
