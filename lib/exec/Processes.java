package lib.exec;

import java.io.IOException;
import java.io.OutputStream;
import java.util.*;
import org.zeroturnaround.exec.ProcessExecutor;

/**
 * The programs this process runs (Exec), process-wide: which are running and which lead a
 * process group of their own, how one is killed with its children, and SIGINT/SIGTERM, on which
 * they are all stopped (stopAll, from Temp's cleanup hook) before our files go.
 */
final class Processes {
    private Processes() {}

    private static final Set<Process> running = Collections.synchronizedSet(new HashSet<>());
    private static final Set<Long> groups = Collections.synchronizedSet(new HashSet<>()); // PIDs that lead a process group
    // SIGINT (2) or SIGTERM (15) received: we are stopping. Mutable on purpose: a signal is one per
    // process, set by the JVM's signal handler, which no value handed down can reach
    static volatile int signal;

    static {
        for (String name : List.of("INT", "TERM")) onSignal(name);
    }

    /** Loads this class, so that the signal handlers are there (Exec calls it as it loads). */
    static void watch() {}

    /**
     * SIGINT/SIGTERM: say it was interrupted, then exit 128+N through the cleanup hook (Temp),
     * which stops our programs (and their groups) and removes our files. sun.misc.Signal through
     * reflection: javac warns about it on every first run of a script otherwise.
     */
    private static void onSignal(String name) {
        try {
            Class<?> sig = Class.forName("sun.misc.Signal"), handler = Class.forName("sun.misc.SignalHandler");
            Object s = sig.getConstructor(String.class).newInstance(name);
            int number = (int) sig.getMethod("getNumber").invoke(s);
            Object h = java.lang.reflect.Proxy.newProxyInstance(Processes.class.getClassLoader(), new Class<?>[] {handler}, (proxy, m, args) -> {
                if (!m.getName().equals("handle")) return null;
                signal = number;
                System.err.println("ERROR: Interrupted (SIG" + name + "): stopping, removing what was half made");
                System.exit(128 + number);
                return null;
            });
            sig.getMethod("handle", sig, handler).invoke(null, s, h);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // no such signal handling here (another JVM, or the signal ignored by the shell): the JVM's own applies
        }
    }

    /** A program started; group: it leads a process group of its own (setsid). */
    static void started(Process p, boolean group) {
        if (group) groups.add(p.pid());
        running.add(p);
    }

    /** A program ended, on every way out: what it left running in its group ends too. */
    static void ended(Process p, boolean group) {
        running.remove(p);
        if (group) {
            signalGroup(p.pid(), "KILL");
            groups.remove(p.pid());
        }
    }

    /** Kills a program, its group and its children at once. */
    static void kill(Process p) {
        if (groups.contains(p.pid())) signalGroup(p.pid(), "KILL");
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    /** kill -SIG -- -PGID: the whole process group of a program started with group(). */
    private static void signalGroup(long pgid, String sig) {
        try {
            new ProcessExecutor().command("kill", "-s", sig, "--", "-" + pgid).exitValueAny()
                    .redirectOutput(OutputStream.nullOutputStream()).redirectError(OutputStream.nullOutputStream()).execute();
        } catch (IOException | java.util.concurrent.TimeoutException e) {
            // kill is there on every Linux; a group already gone is no error
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops every program still running (Ctrl-C): called by the cleanup hook before files go. */
    static void stopAll() {
        List<Process> ps;
        synchronized (running) {
            ps = new ArrayList<>(running);
        }
        for (Process p : ps) {
            if (groups.contains(p.pid())) signalGroup(p.pid(), "TERM");
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : ps) {
            try {
                if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                return;
            }
            if (groups.contains(p.pid())) signalGroup(p.pid(), "KILL"); // children that ignored TERM
        }
    }
}
