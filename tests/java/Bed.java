import static org.assertj.core.api.Assertions.fail;

import java.io.*;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The test bed: real services started here, never the user's. A private dockerd on a
 * socket under a temporary folder, Debian's docker-registry on a free 127.0.0.1 port;
 * both stopped when the test JVM exits. The toolkit runs as a program, as a user runs it.
 */
public final class Bed {
    public static final Path REPO = Path.of(System.getProperty("repo.dir", "..")).toAbsolutePath().normalize();
    public static final Path WORK = mkdirs(Path.of(System.getProperty("java.io.tmpdir"), "images-tests-" + ProcessHandle.current().pid()));
    private static String dockerHost;
    private static String registry;
    private static final List<Process> services = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Bed::stop));
    }

    private Bed() {}

    /** A missing tool skips the test with a reason; under CI=true it fails instead. */
    public static void require(boolean ok, String reason) {
        if (ok) return;
        if ("true".equals(System.getenv("CI"))) fail("CI=true and " + reason);
        Assumptions.abort(reason);
    }

    public static void requireTools(String... tools) {
        for (String t : tools) require(which(t) != null, "missing tool [" + t + "] (install it with tests/setup)");
    }

    public static void requireRoot() {
        require(isRoot(), "this test needs root (it starts dockerd / unpacks as root)");
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    public static String which(String tool) {
        for (String dir : System.getenv("PATH").split(":")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) return p.toString();
        }
        for (String dir : List.of("/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }

    /** DOCKER_HOST of a private dockerd, started once for all tests. */
    public static synchronized String docker() {
        if (dockerHost != null) return dockerHost;
        requireRoot();
        requireTools("dockerd", "docker", "containerd", "runc");
        Path d = mkdirs(WORK.resolve("docker"));
        String host = "unix://" + d.resolve("docker.sock");
        start(d.resolve("dockerd.log"), which("dockerd"), "--iptables=false", "--ip6tables=false", "--bridge=none",
                "--data-root", d.resolve("root").toString(), "--exec-root", d.resolve("exec").toString(),
                "-H", host, "--pidfile", d.resolve("pid").toString());
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (run(Map.of("DOCKER_HOST", host), null, "docker", "version").code != 0) {
            if (System.nanoTime() > end) fail("dockerd did not start: " + read(d.resolve("dockerd.log")));
            sleep(200);
        }
        dockerHost = host;
        return host;
    }

    /** host:port of Debian's docker-registry on 127.0.0.1, started once, deletes enabled. */
    public static synchronized String registry() {
        if (registry != null) return registry;
        requireTools("docker-registry");
        Path d = mkdirs(WORK.resolve("registry"));
        int port = freePort();
        Path conf = d.resolve("config.yml");
        write(conf, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " + d.resolve("data")
                + "\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" + port + "\n");
        start(d.resolve("registry.log"), which("docker-registry"), "serve", conf.toString());
        String addr = "127.0.0.1:" + port;
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!listening(port)) {
            if (System.nanoTime() > end) fail("docker-registry did not start: " + read(d.resolve("registry.log")));
            sleep(100);
        }
        registry = addr;
        return addr;
    }

    /**
     * Another docker-registry on LISTEN (host:port, IPv6 in brackets) serving the folder DATA (the
     * first registry's to share its images), with EXTRA config lines (auth); returns LISTEN.
     */
    public static String registryAt(String listen, Path data, String extra) {
        requireTools("docker-registry");
        Path d = tempDir("registry");
        Path conf = d.resolve("config.yml");
        write(conf, "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: " + data
                + "\n  delete:\n    enabled: true\nhttp:\n  addr: \"" + listen + "\"\n" + extra);
        start(d.resolve("registry.log"), which("docker-registry"), "serve", conf.toString());
        String host = listen.substring(0, listen.lastIndexOf(':')).replaceAll("^\\[|\\]$", "");
        int port = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!listening(host, port)) {
            if (System.nanoTime() > end) fail("docker-registry did not start: " + read(d.resolve("registry.log")));
            sleep(100);
        }
        return listen;
    }

    /** The folder the first registry keeps its images in. */
    public static Path registryData() {
        registry();
        return WORK.resolve("registry/data");
    }

    private static boolean listening(int port) {
        return listening("127.0.0.1", port);
    }

    private static boolean listening(String host, int port) {
        try (var s = new java.net.Socket(host, port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void start(Path log, String... argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            services.add(p);
        } catch (IOException e) {
            fail("cannot start " + argv[0] + ": " + e);
        }
    }

    private static void stop() {
        for (Process p : services) {
            p.destroy();
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                return;
            }
        }
        // dockerd leaves its own mounts (overlay2, netns) under the data root
        try {
            String prefix = WORK.toString();
            List<String> points = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String m = line.split(" ")[4];
                if (m.startsWith(prefix)) points.add(m);
            }
            points.sort(Comparator.reverseOrder());
            for (String m : points) new ProcessBuilder("umount", "-l", m).start().waitFor();
            new ProcessBuilder("rm", "-rf", "--one-file-system", prefix).start().waitFor();
            for (Path d : shortDirs) new ProcessBuilder("rm", "-rf", "--one-file-system", d.toString()).start().waitFor();
        } catch (Exception e) {
            // best effort at exit
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What a program did. */
    public record Result(int code, byte[] stdout, String stderr) {
        public String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + (stdout.length > 4000 ? "(" + stdout.length + " bytes)" : out())
                    + "\n--- stderr\n" + stderr;
        }
    }

    /** Runs a program with extra environment, stdin from a file or nothing. */
    public static Result run(Map<String, String> env, File stdin, String... argv) {
        return run(env, stdin, null, argv);
    }

    public static Result run(Map<String, String> env, File stdin, File dir, String... argv) {
        try {
            ProcessBuilder pb = new ProcessBuilder(argv);
            pb.environment().putAll(env);
            if (dir != null) pb.directory(dir);
            pb.redirectInput(stdin != null ? ProcessBuilder.Redirect.from(stdin) : ProcessBuilder.Redirect.from(new File("/dev/null")));
            Path err = Files.createTempFile(WORK, "stderr", ".txt");
            pb.redirectError(err.toFile());
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            int code = p.waitFor();
            String e = Files.readString(err);
            Files.delete(err);
            return new Result(code, out, e);
        } catch (IOException e) {
            return new Result(127, new byte[0], e.toString());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The java command that runs a class of the toolkit, as JBang would (same classes, same deps). */
    public static List<String> java(String mainClass) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), mainClass));
    }

    /** Runs `images ARGS...` with the test daemon as DOCKER_HOST (when started) and extra env. */
    public static Result images(Map<String, String> env, String... args) {
        return tool("images", env, args);
    }

    public static Result images(String... args) {
        return images(Map.of(), args);
    }

    public static Result tool(String mainClass, Map<String, String> env, String... args) {
        List<String> argv = java(mainClass);
        argv.addAll(Arrays.asList(args));
        Map<String, String> e = new HashMap<>();
        if (dockerHost != null) e.put("DOCKER_HOST", dockerHost);
        if (registry != null) e.put("LOCAL_REGISTRY", registry);
        e.put("XCLUSTER_TMP", WORK.resolve("xcluster-tmp").toString());
        e.put("XDG_CACHE_HOME", WORK.resolve("cache").toString()); // make's layer cache: this JVM's own, never the user's
        e.putAll(env);
        return run(e, null, argv.toArray(String[]::new));
    }

    /** docker ARGS... against the test daemon; must succeed. */
    public static String docker(String... args) {
        List<String> argv = new ArrayList<>(List.of("docker"));
        argv.addAll(Arrays.asList(args));
        Result r = run(Map.of("DOCKER_HOST", docker()), null, argv.toArray(String[]::new));
        if (r.code != 0) fail("docker " + String.join(" ", args) + " failed: " + r);
        return r.out().trim();
    }

    /** The image ids in the test daemon, sorted. */
    public static List<String> dockerImages() {
        List<String> l = new ArrayList<>(Arrays.asList(docker("images", "-a", "-q", "--no-trunc").split("\\s+")));
        l.removeIf(String::isEmpty);
        Collections.sort(l);
        return l;
    }

    public static Path mkdirs(Path p) {
        try {
            return Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A folder with a short path: podman refuses a run root longer than 50 characters. */
    public static synchronized Path shortDir() {
        try {
            for (int i = 0; ; i++) {
                Path d = Path.of("/tmp", "it" + Long.toString(System.nanoTime() % 1_000_000_000L, 36));
                try {
                    Files.createDirectory(d, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
                    shortDirs.add(d);
                    return d;
                } catch (FileAlreadyExistsException e) {
                    if (i > 100) throw e;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final List<Path> shortDirs = new ArrayList<>();

    public static Path tempDir(String name) {
        try {
            return Files.createTempDirectory(WORK, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A copy of a folder of the repo that any user can read (the clone itself may sit under a private home). */
    public static Path publicCopy(Path from) {
        Path to = mkdirs(WORK.resolve("public")).resolve(from.getFileName().toString() + "-" + System.nanoTime());
        run(Map.of(), null, "cp", "-a", from.toString(), to.toString());
        run(Map.of(), null, "chmod", "-R", "a+rX", to.toString());
        return to;
    }

    public static void write(Path p, String s) {
        try {
            Files.createDirectories(p.toAbsolutePath().getParent());
            Files.writeString(p, s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
