package lib.exec;

import lib.Fail;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
import org.zeroturnaround.exec.ProcessExecutor;
import org.zeroturnaround.exec.ProcessResult;
import org.zeroturnaround.exec.StartedProcess;

/**
 * The one way this toolkit runs a program: an argv list (never a shell string),
 * echoed to stderr under --verbose, printed instead of run under --dry-run when it
 * changes anything, and on failure `ERROR: <step> failed [<arg>]` plus the tool's stderr.
 *
 * <pre>Exec.of("docker", "import", "-", name).fails("docker import", name).changes().in(tar).run();</pre>
 */
public final class Exec {
    public static boolean verbose;
    public static boolean dryRun;
    private static final Set<Process> running = Collections.synchronizedSet(new HashSet<>());

    private final List<String> argv;
    private String failure;
    private boolean changes;
    private boolean showStderr;
    private InputStream in;
    private OutputStream out;
    private File dir;
    private final Map<String, String> env = new LinkedHashMap<>();

    private Exec(List<String> argv) {
        this.argv = List.copyOf(argv);
    }

    public static Exec of(String... argv) {
        return new Exec(Arrays.asList(argv));
    }

    public static Exec of(List<String> argv) {
        return new Exec(argv);
    }

    /** The message on failure: `STEP failed [ARG]`. */
    public Exec fails(String step, String arg) {
        return fails(step + " failed [" + arg + "]");
    }

    /** The whole message on failure, as images.sh says it. */
    public Exec fails(String message) {
        this.failure = message;
        return this;
    }

    /** This program changes something: under --dry-run it is printed, not run. */
    public Exec changes() {
        this.changes = true;
        return this;
    }

    /** Pass the program's stderr through as it comes (progress of long work). */
    public Exec showStderr() {
        this.showStderr = true;
        return this;
    }

    public Exec in(InputStream in) {
        this.in = in;
        return this;
    }

    /** Where stdout goes; by default it is captured (read) or sent to stderr (run). */
    public Exec out(OutputStream out) {
        this.out = out;
        return this;
    }

    public Exec dir(File dir) {
        this.dir = dir;
        return this;
    }

    public Exec env(String key, String value) {
        env.put(key, value);
        return this;
    }

    /** Runs it; stdout goes to out(), else to our stderr (stdout is for results only). */
    public void run() {
        if (skipped()) return;
        execute(out != null ? out : new NoClose(System.err));
    }

    /** Runs it and returns its stdout (empty under --dry-run for a changing command). */
    public String read() {
        if (skipped()) return "";
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        execute(buf);
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** Reads a program's stdout as it comes. */
    public interface Reader {
        void read(InputStream stdout) throws IOException;
    }

    /**
     * Runs it with its stdout read by `reader` on this thread, straight from the pipe (no copy
     * in between); then it must have succeeded. When the reader fails the program is stopped;
     * when the program fails, that is the error (the reader saw a stream cut short).
     */
    public void stream(Reader reader) {
        if (changes && dryRun) throw new IllegalStateException("--dry-run: not streaming " + line(argv));
        echo("+ ");
        // ProcessBuilder, not zt-exec: zt-exec closes stdout when the program exits, which cuts
        // short a reader that is still behind.
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw Fail.die("Not executable [" + argv.get(0) + "]");
        }
        process = p;
        running.add(p);
        java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try (InputStream e = p.getErrorStream()) {
                byte[] b = e.readNBytes(1 << 16); // what a failing program says, bounded
                e.transferTo(OutputStream.nullOutputStream());
                return b;
            } catch (IOException x) {
                return new byte[0];
            }
        });
        RuntimeException failed = null;
        try (InputStream in = p.getInputStream()) {
            p.getOutputStream().close();
            reader.read(in);
        } catch (IOException e) {
            failed = Fail.die(defaultStep() + " failed [" + argv.get(argv.size() - 1) + "]: " + e.getMessage());
        } catch (RuntimeException e) {
            failed = e;
        }
        if (failed != null && p.isAlive()) stop(); // else it died first: its error is the one to give
        int exit;
        try {
            exit = p.waitFor();
        } catch (InterruptedException e) {
            stop();
            Thread.currentThread().interrupt();
            throw Fail.die("Interrupted");
        } finally {
            running.remove(p);
        }
        String stderr = new String(err.join(), StandardCharsets.UTF_8);
        if (exit != 0 && !stopped) throw failed(stderr);
        if (failed != null) throw failed;
    }

    /** Runs it only to learn whether it succeeds; its output is dropped (true under --dry-run for a changing command). */
    public boolean ok() {
        if (skipped()) return true;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProcessResult r = start(OutputStream.nullOutputStream(), err);
        if (r.getExitValue() != 0) unreachable(err.toString(StandardCharsets.UTF_8));
        return r.getExitValue() == 0;
    }

    /**
     * Runs producer | consumer, streaming the bytes through; both must succeed.
     * When either side dies the other is stopped (no hang on a pipe nobody drains).
     * Returns how many bytes passed (0 under --dry-run).
     */
    public static long pipe(Exec producer, Exec consumer) {
        if (dryRun && (producer.changes || consumer.changes)) {
            System.err.println("dry-run: " + line(producer.argv) + " | " + line(consumer.argv));
            return 0;
        }
        if (verbose) System.err.println("+ " + line(producer.argv) + " | " + line(consumer.argv));
        try {
            java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open(); // an OS pipe, not tied to threads
            Counting pout = new Counting(java.nio.channels.Channels.newOutputStream(pipe.sink()));
            consumer.in = java.nio.channels.Channels.newInputStream(pipe.source());
            java.util.concurrent.CompletableFuture<Void> c = java.util.concurrent.CompletableFuture.runAsync(
                    () -> consumer.execute(consumer.out != null ? consumer.out : new NoClose(System.err)));
            c.whenComplete((v, e) -> producer.stop()); // the consumer is gone: nobody reads the producer any more
            Fail first = null;
            try {
                producer.execute(pout);
            } catch (Fail f) {
                first = f;
            } finally {
                pout.close();
            }
            try {
                c.join();
            } catch (java.util.concurrent.CompletionException e) {
                Fail f = e.getCause() instanceof Fail x ? x : Fail.die(String.valueOf(e.getCause()));
                if (first == null || producer.stopped) throw f; // the consumer failed first
            }
            if (first != null) throw first;
            return pout.count;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private volatile Process process;
    private volatile boolean stopped;

    /** Stops this program and its children when it still runs. */
    private void stop() {
        stopped = true; // also when it has not started yet: start() sees this
        Process p = process;
        if (p == null || !p.isAlive()) return;
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static final Pattern NO_DOCKER = Pattern.compile(
            "(?:Cannot connect to the Docker daemon at|failed to connect to the docker API at) (\\S+?)[.;]? ");

    /** docker's own words for a daemon it cannot reach, said in one line for every command. */
    private static void unreachable(String stderr) {
        java.util.regex.Matcher m = NO_DOCKER.matcher(stderr);
        if (m.find()) throw Fail.die("Can't reach the docker daemon [" + m.group(1) + "]: is it running? (DOCKER_HOST)");
    }

    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream o) {
            super(o);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }
    }

    private boolean skipped() {
        if (changes && dryRun) {
            System.err.println("dry-run: " + line(argv));
            return true;
        }
        echo("+ ");
        return false;
    }

    private void echo(String prefix) {
        if (verbose) System.err.println(prefix + line(argv));
    }

    private void execute(OutputStream stdout) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OutputStream stderr = showStderr ? new NoClose(System.err) : err;
        ProcessResult r = start(stdout, stderr);
        if (r.getExitValue() != 0) throw failed(err.toString(StandardCharsets.UTF_8));
    }

    /** The error of a program that exited non-zero: a dead daemon in one line, else this step's message and its stderr. */
    private Fail failed(String stderr) {
        unreachable(stderr);
        String msg = failure != null ? failure : defaultStep() + " failed [" + argv.get(argv.size() - 1) + "]";
        return new Fail(msg, stderr, 1);
    }

    private ProcessResult start(OutputStream stdout, OutputStream stderr) {
        if (changes && dryRun) throw new IllegalStateException("--dry-run: not running " + line(argv)); // the guarantee
        ProcessExecutor pe = new ProcessExecutor().command(argv).exitValueAny()
                .redirectOutput(stdout).redirectError(stderr).environment(env);
        if (in != null) pe.redirectInput(in);
        if (dir != null) pe.directory(dir);
        StartedProcess sp;
        try {
            sp = pe.start();
        } catch (IOException e) {
            throw Fail.die("Not executable [" + argv.get(0) + "]");
        }
        Process p = sp.getProcess();
        process = p;
        if (stopped) stop();
        running.add(p);
        try {
            return sp.getFuture().get();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw Fail.die("Interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw Fail.die(defaultStep() + " failed [" + argv.get(argv.size() - 1) + "]: "
                    + (c == null ? e : c.getMessage()));
        } finally {
            running.remove(p);
        }
    }

    private String defaultStep() {
        String prog = new File(argv.get(0)).getName();
        return argv.size() > 1 && !argv.get(1).startsWith("-") ? prog + " " + argv.get(1) : prog;
    }

    /** Stops every program still running (Ctrl-C): called by the cleanup hook before files go. */
    static void stopAll() {
        List<Process> ps;
        synchronized (running) {
            ps = new ArrayList<>(running);
        }
        for (Process p : ps) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : ps) {
            try {
                if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    /** The command as a shell line a user can copy. */
    public static String line(List<String> argv) {
        StringJoiner j = new StringJoiner(" ");
        for (String a : argv) j.add(PLAIN.matcher(a).matches() ? a : "'" + a.replace("'", "'\\''") + "'");
        return j.toString();
    }

    /** Our stdout as raw bytes (results: tars, listings). */
    public static OutputStream stdout() {
        return new NoClose(new FileOutputStream(FileDescriptor.out));
    }

    /** Keeps programs from closing our own stdout/stderr. */
    static final class NoClose extends FilterOutputStream {
        NoClose(OutputStream o) {
            super(o);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
