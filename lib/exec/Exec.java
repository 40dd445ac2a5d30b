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
 * The options (--verbose, --dry-run) come with it as a value: {@link Run}.
 *
 * <pre>Exec.of(run, "docker", "import", "-", name).fails("docker import", name).changes().in(tar).run();</pre>
 */
public final class Exec {
    static {
        Processes.watch(); // SIGINT and SIGTERM handled from the first program on
    }

    private final Run run;
    private final List<String> argv;
    private String failure;
    private boolean changes;
    private boolean showStderr;
    private boolean group;
    private InputStream in;
    private OutputStream out;
    private File dir;
    private final Map<String, String> env = new LinkedHashMap<>();

    private Exec(Run run, List<String> argv) {
        this.run = run;
        this.argv = List.copyOf(argv);
    }

    public static Exec of(Run run, String... argv) {
        return new Exec(run, Arrays.asList(argv));
    }

    public static Exec of(Run run, List<String> argv) {
        return new Exec(run, argv);
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

    /** Runs it in a process group of its own (setsid): on any way out, the whole group is ended (a script's children too). */
    public Exec group() {
        this.group = true;
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
        if (changes && run.dryRun()) throw new IllegalStateException("--dry-run: not streaming " + line(argv));
        echo("+ ");
        // the reader runs on zt-exec's pump thread, on the program's own stdout; zt-exec closes that
        // stream only once the pump has ended, so the reader, even far behind, reads to the real end
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        RuntimeException[] failed = {null};
        ProcessResult r = start(new Pumps(OutputStream.nullOutputStream(), new Bounded(err, 1 << 16), in) {
            @Override
            protected void createProcessOutputPump(InputStream stdout, OutputStream unused) {
                outputThread = newThread(() -> {
                    try {
                        reader.read(stdout);
                        stdout.transferTo(OutputStream.nullOutputStream()); // what it left: the program can exit
                    } catch (IOException e) {
                        failed[0] = Fail.die(defaultStep() + " failed [" + argv.get(argv.size() - 1) + "]: " + e.getMessage());
                    } catch (RuntimeException e) {
                        failed[0] = e;
                    }
                    if (failed[0] != null) Exec.this.stop(); // the reader gave up: the program may be blocked on a full pipe (not the pumps' own stop)
                });
            }
        });
        if (r.getExitValue() != 0 && !stopped) throw failed(err.toString(StandardCharsets.UTF_8));
        if (failed[0] != null) throw failed[0];
    }

    /** Keeps the first `max` bytes (what a failing program says), drops the rest. */
    private static final class Bounded extends OutputStream {
        private final ByteArrayOutputStream to;
        private final int max;

        Bounded(ByteArrayOutputStream to, int max) {
            this.to = to;
            this.max = max;
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            to.write(b, off, Math.max(0, Math.min(len, max - to.size())));
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }
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
        if (producer.run.dryRun() && (producer.changes || consumer.changes)) {
            System.err.println("dry-run: " + line(producer.argv) + " | " + line(consumer.argv));
            return 0;
        }
        producer.run.say("+ " + line(producer.argv) + " | " + line(consumer.argv));
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
        Processes.kill(p);
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
        if (changes && run.dryRun()) {
            System.err.println("dry-run: " + line(argv));
            return true;
        }
        echo("+ ");
        return false;
    }

    private void echo(String prefix) {
        run.say(prefix + (group ? "setsid " : "") + line(argv)); // as run
    }

    private void execute(OutputStream stdout) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OutputStream stderr = showStderr ? new NoClose(System.err) : err;
        ProcessResult r = start(stdout, stderr);
        if (r.getExitValue() != 0) throw failed(err.toString(StandardCharsets.UTF_8));
    }

    /** The error of a program that exited non-zero: a dead daemon in one line, else this step's message and its stderr. */
    private Fail failed(String stderr) {
        if (Processes.signal != 0) return new Fail("", "", 128 + Processes.signal); // killed by our stop on a signal: said once, above
        unreachable(stderr);
        String msg = failure != null ? failure : defaultStep() + " failed [" + argv.get(argv.size() - 1) + "]";
        return new Fail(msg, stderr, 1);
    }

    private ProcessResult start(OutputStream stdout, OutputStream stderr) {
        return start(new Pumps(stdout, stderr, in));
    }

    private ProcessResult start(Pumps pumps) {
        if (changes && run.dryRun()) throw new IllegalStateException("--dry-run: not running " + line(argv)); // the guarantee
        List<String> cmd = argv;
        if (group) { // setsid: a session and process group of its own (same PID), so that stop() ends all of it
            if (!new File(argv.get(0)).canExecute()) throw Fail.die("Not executable [" + argv.get(0) + "]");
            cmd = new ArrayList<>(List.of("setsid"));
            cmd.addAll(argv);
        }
        ProcessExecutor pe = new ProcessExecutor().command(cmd).exitValueAny()
                .streams(pumps).redirectErrorStream(false).environment(env);
        if (dir != null) pe.directory(dir);
        StartedProcess sp;
        try {
            sp = pe.start();
        } catch (IOException e) {
            throw Fail.die("Not executable [" + argv.get(0) + "]");
        }
        Process p = sp.getProcess();
        Processes.started(p, group);
        process = p;
        if (stopped) stop();
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
            Processes.ended(p, group);
        }
    }

    /**
     * zt-exec's pumps, copying 64 KiB at a time (a pipe's size) where zt-exec's own copy 1 KiB:
     * `docker save` read through those ran at about 40 MB/s, with a system call per KiB.
     */
    private static class Pumps extends org.zeroturnaround.exec.stream.PumpStreamHandler {
        Pumps(OutputStream out, OutputStream err, InputStream in) {
            super(out, err, in);
        }

        @Override
        protected Thread createPump(InputStream is, OutputStream os, boolean closeWhenExhausted, boolean flushImmediately) {
            return newThread(new org.zeroturnaround.exec.stream.StreamPumper(is, os, closeWhenExhausted, 1 << 16, flushImmediately));
        }
    }

    private String defaultStep() {
        String prog = new File(argv.get(0)).getName();
        return argv.size() > 1 && !argv.get(1).startsWith("-") ? prog + " " + argv.get(1) : prog;
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
