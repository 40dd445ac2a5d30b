import static org.assertj.core.api.Assertions.*;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A new user's first hour (issue 23): the messages and behaviours met with the README only. The
 * tool runs as a program, as the user runs it; no docker needed (overlay items, native make).
 */
class DailyUseTest {
    static final Path EXAMPLES = Bed.REPO.resolve("examples");
    static Path good;

    static Bed.Result make(String... args) {
        List<String> a = new ArrayList<>(List.of("make", "--no-pause"));
        a.addAll(Arrays.asList(args));
        return Bed.images(Map.of("XCLUSTER_OVLPATH", EXAMPLES.toString()), a.toArray(String[]::new));
    }

    @BeforeAll
    static void aTar() {
        good = Bed.tempDir("daily").resolve("images.tar");
        Bed.Result r = make("--tar=" + good, "legacy");
        assertThat(r.code()).as(r.toString()).isZero();
    }

    /** Runs `images ARGS` with `input` written to its stdin through a pipe (not a file: no seeking). */
    static Bed.Result piped(byte[] input, String... args) throws Exception {
        List<String> argv = Bed.java("images");
        argv.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(argv).start();
        Thread feed = new Thread(() -> {
            try (OutputStream o = p.getOutputStream()) {
                o.write(input);
            } catch (IOException ignored) {
                // the program may stop reading early
            }
        });
        feed.start();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        int code = p.waitFor();
        feed.join();
        return new Bed.Result(code, out, err.get());
    }

    @Test
    void lsInspectAndVerifyReadAPipe() throws Exception {
        byte[] tar = Files.readAllBytes(good);
        Bed.Result ls = piped(tar, "ls", "-");
        assertThat(ls.code()).as(ls.toString()).isZero();
        assertThat(ls.out()).contains("example/legacy");
        String name = ls.out().lines().findFirst().orElseThrow().split(" ")[0];
        Bed.Result inspect = piped(tar, "inspect", "-", name);
        assertThat(inspect.code()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("sha256:");
        Bed.Result verify = piped(tar, "verify", "-");
        assertThat(verify.code()).as(verify.toString()).isZero();
    }

    @Test
    void aTarCutShortNamesTheFileAndWhereItEnds() throws Exception {
        byte[] tar = Files.readAllBytes(good);
        Path cut = Bed.tempDir("cut").resolve("cut.tar");
        Files.write(cut, Arrays.copyOf(tar, tar.length / 2 + 100));
        for (String cmd : List.of("ls", "verify")) {
            Bed.Result r = Bed.images(cmd, cut.toString());
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.stderr()).as(cmd).startsWith("ERROR: ").contains(cut.toString()).contains("ends after")
                    .doesNotContain("null").doesNotContain("Exception");
            assertThat(r.stderr().lines().count()).isEqualTo(1);
        }
    }

    @Test
    void aMissingOutputFolderIsAnError() {
        Path dir = Bed.tempDir("nofolder").resolve("no/such");
        Bed.Result r = make("--tar=" + dir.resolve("images.tar"), "legacy");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).isEqualTo("ERROR: No such folder [" + dir + "] for --tar: create it first, or name another\n");
        assertThat(dir.getParent()).doesNotExist();
    }

    @Test
    void anImageWithoutAVersionIsNamed() {
        Bed.Result r = make("--tar=" + Bed.tempDir("nover").resolve("i.tar"), "127.0.0.1:5000/x/y");
        assertThat(r.stderr()).isEqualTo("ERROR: Image must have a version [127.0.0.1:5000/x/y] (give a tag, e.g. 127.0.0.1:5000/x/y:latest)\n");
    }

    @Test
    void theSameItemTwiceIsSaidOnce() {
        Path out = Bed.tempDir("twice").resolve("images.tar");
        Bed.Result r = make("--tar=" + out, "legacy", "legacy");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.stderr()).containsOnlyOnce("WARNING: [legacy] is given twice: it is stored once\n");
    }

    @Test
    void aMissingArchiveOrLayoutSaysSo() {
        Path out = Bed.tempDir("missing").resolve("images.tar");
        for (String item : List.of("docker-archive:/no/such.tar", "oci-archive:/no/such.tar", "oci:/no/such")) {
            Bed.Result r = make("--tar=" + out, item);
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.stderr()).isEqualTo("ERROR: No such " + (item.startsWith("oci:") ? "folder" : "file") + " [" + item + "]\n");
        }
    }

    @Test
    void lsOfAMissingFileSaysSo() {
        Bed.Result r = Bed.images("ls", "/no/such/images.tar");
        assertThat(r.stderr()).isEqualTo("ERROR: No such file [/no/such/images.tar]\n");
    }

    @Test
    void withoutDockerThePauseImageIsNamedWithTheWayOut() {
        Path out = Bed.tempDir("pause").resolve("images.tar");
        Bed.Result r = Bed.images(Map.of("XCLUSTER_OVLPATH", EXAMPLES.toString(), "DOCKER_HOST", "unix:///no/such/docker.sock"),
                "make", "--tar=" + out, "legacy");
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.stderr()).startsWith("ERROR: Can't get the pause image [" + "registry.k8s.io/pause:3.9" + "]: ")
                .endsWith(" (give --pause=IMG, or --no-pause to leave it out)\n");
        assertThat(r.stderr().lines().filter(l -> l.startsWith("ERROR")).count()).isEqualTo(1);
        assertThat(out).doesNotExist();
    }

    @Test
    void sigtermDuringATarScriptEndsItsChildrenAndLeavesNothing() throws Exception {
        Path ovl = Bed.tempDir("hang"), img = Files.createDirectories(ovl.resolve("hang/image"));
        Files.copy(EXAMPLES.resolve("legacy/image/manifest.json"), img.resolve("manifest.json"));
        String secs = "1000." + ProcessHandle.current().pid(); // a duration no other sleep has
        String marker = "sleep " + secs;
        Path script = img.resolve("tar");
        // children in the background and in the foreground, one of them with its own name to find it by
        Files.writeString(script, "#!/bin/sh\n(sleep " + secs + "; echo late) &\nsleep " + secs + " &\nsleep " + secs + "\n");
        script.toFile().setExecutable(true);
        Path outDir = Bed.tempDir("hang-out"), tmp = Bed.tempDir("hang-tmp");
        List<String> argv = Bed.java("images");
        argv.addAll(List.of("make", "--no-pause", "--tar=" + outDir.resolve("images.tar"), "hang"));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().putAll(Map.of("XCLUSTER_OVLPATH", ovl.toString(), "TMPDIR", tmp.toString()));
        Process p = pb.start();
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        });
        try {
            stopAndCheck(p, out, marker, outDir, tmp);
        } finally {
            p.destroyForcibly();
        }
    }

    static void stopAndCheck(Process p, java.util.concurrent.CompletableFuture<String> out, String marker, Path outDir, Path tmp)
            throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (sleepers(marker) < 3 && System.nanoTime() < deadline) Thread.sleep(100);
        assertThat(sleepers(marker)).as(p.isAlive() ? "alive" : out.get()).isEqualTo(3);
        Thread.sleep(300);
        p.toHandle().destroy(); // SIGTERM (Process.destroy would close our end of its output too)
        assertThat(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        String said = out.get();
        assertThat(p.exitValue()).as(said).isEqualTo(143);
        assertThat(said).contains("ERROR: Interrupted (SIGTERM)").doesNotContain("Failed to create");
        Thread.sleep(500);
        assertThat(sleepers(marker)).as("children left running").isZero();
        try (var left = Files.list(outDir)) {
            assertThat(left).as("output folder").isEmpty();
        }
        try (var left = Files.list(tmp)) {
            assertThat(left).as("temporary folders").isEmpty();
        }
    }

    /** Processes whose command line is the marker (the test's own sleeps). */
    static long sleepers(String marker) {
        return ProcessHandle.allProcesses().filter(h -> h.info().commandLine().orElse("").endsWith(marker)).count();
    }

    @Test
    void theLauncherRunsOurScriptsFromAnyFolder() {
        File elsewhere = Bed.tempDir("elsewhere").toFile();
        Bed.Result r = Bed.run(Map.of(), null, elsewhere, Bed.REPO.resolve("jbang").toString(), "images", "--version");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("images ");
        assertThat(r.stderr()).doesNotContain("could not be found");
    }

    @Test
    void helpPutsMakeFirstGroupsTheCommandsAndHidesMktar() {
        String help = Bed.images("--help").out();
        List<String> lines = help.lines().toList();
        int commands = lines.indexOf("Commands:");
        assertThat(lines.get(commands + 1)).isEqualTo("  Build:");
        assertThat(lines.get(commands + 2)).startsWith("    make ");
        assertThat(help).contains("  Inspect a tar:\n", "  Local registry:\n", "  Docker helpers:\n").doesNotContain("mktar");
        assertThat(help.indexOf("Inspect a tar:")).isLessThan(help.indexOf("Local registry:"));
        // each description ends a sentence (the first line of a longer one is not cut at a colon)
        assertThat(help).doesNotContainPattern(":\\n\\n");
    }

    /** `./jbang images ARGS` as a user types it, under a pseudo-terminal (`script`) or with pipes; env null removes a variable. */
    static Bed.Result launched(boolean terminal, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Bed.REPO.resolve("jbang").toString(), "images"));
        cmd.addAll(Arrays.asList(args));
        List<String> argv = cmd;
        if (terminal) {
            String line = String.join(" ", cmd.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").toList());
            argv = List.of("script", "-qec", line, "/dev/null");
        }
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(new File("/dev/null"));
        pb.environment().put("TERM", "xterm");
        env.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        Path err = Files.createTempFile(Bed.WORK, "stderr", ".txt");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        return new Bed.Result(p.waitFor(), out, Files.readString(err));
    }

    static boolean escape(Bed.Result r) {
        return r.out().indexOf('\u001b') >= 0 || r.stderr().indexOf('\u001b') >= 0;
    }

    @Test
    void colourOnlyOnATerminalAndNeverWithNoColor() throws Exception {
        Bed.requireTools("script"); // util-linux (bsdutils on Debian)
        Map<String, String> colour = new HashMap<>(), none = new HashMap<>();
        colour.put("NO_COLOR", null);
        none.put("NO_COLOR", "1");
        List<String[]> runs = List.of(new String[] {"--help"}, new String[] {"make", "--help"}, new String[] {"make", "--no-pause", "no such:item"});
        for (String[] args : runs) {
            String what = String.join(" ", args);
            Bed.Result piped = launched(false, colour, args);
            assertThat(piped.out() + piped.stderr()).as(what).isNotBlank();
            assertThat(escape(piped)).as("ESC in a pipe: " + what + "\n" + piped).isFalse();
            Bed.Result quiet = launched(true, none, args);
            assertThat(quiet.out()).as(what).isNotBlank();
            assertThat(escape(quiet)).as("ESC on a terminal with NO_COLOR: " + what + "\n" + quiet).isFalse();
            if (args[args.length - 1].equals("--help")) { // the test can fail: help has colour on a terminal
                Bed.Result tty = launched(true, colour, args);
                assertThat(escape(tty)).as("no colour on a terminal: " + what + "\n" + tty).isTrue();
            }
        }
        Bed.Result error = launched(false, colour, "make", "--no-pause", "no such:item");
        assertThat(error.code()).isEqualTo(1);
        assertThat(error.stderr()).startsWith("ERROR: ");
    }
}
