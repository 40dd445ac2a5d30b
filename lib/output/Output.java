package lib.output;

import lib.Fail;
import lib.exec.Exec;
import lib.exec.Run;
import lib.exec.Temp;
import java.io.*;
import java.nio.channels.Channels;
import java.nio.file.*;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.*;

/**
 * The one way an output file is written: complete or absent. The half-written file is created
 * exclusively, without following links, under an unpredictable name beside the target, then
 * renamed onto it; on failure it and the folders made for it are removed. An existing character
 * device or FIFO target is written through (no rename); a symlink is followed to its file.
 */
public final class Output {
    /** What fills the file. */
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    /** A look at the finished file before it is put in place (make --verify). */
    public interface Check {
        void check(Path partial);
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private Output() {}

    /**
     * Writes the output named on the command line: `-` is stdout; under --dry-run the body runs
     * against nothing (the programs it would run are printed); else the file, complete or absent.
     */
    public static void write(Run run, String out, String owner, Body body, Check check) {
        try {
            if ("-".equals(out)) {
                body.write(stdout());
                return;
            }
            if (run.dryRun()) {
                body.write(OutputStream.nullOutputStream());
                return;
            }
        } catch (IOException e) {
            throw Fail.die("Can't write [" + out + "]: " + reason(e));
        }
        write(run, Path.of(out), owner, body, check);
    }

    /** Writes target complete or absent. */
    public static void write(Run run, Path target, String owner, Body body) {
        write(run, target, owner, body, null);
    }

    /**
     * Writes target complete or absent; check (or null) sees the finished file before it is put in
     * place, owner (or null) is given it (mktar as root).
     */
    public static void write(Run run, Path target, String owner, Body body, Check check) {
        Path real = resolve(run, target);
        if (real == null) {
            writeThrough(target, body);
            return;
        }
        List<Path> made = mkdirs(real.getParent());
        cleanStale(real.getParent());
        Path partial = real.resolveSibling("." + real.getFileName() + ".partial-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE));
        Temp.own(partial);
        for (Path d : made) Temp.own(d); // removed again when the write fails (deepest last owned, first removed)
        try (OutputStream os = new BufferedOutputStream(create(partial, target), 1 << 16)) {
            body.write(guarded(os, target));
        } catch (IOException e) {
            throw Fail.die("Can't write [" + target + "]: " + reason(e));
        }
        if (check != null) check.check(partial);
        if (owner != null) Exec.of(run, "chown", owner + ":", partial.toString()).fails("chown", owner).run();
        Temp.commit(partial, real);
        for (Path d : made) Temp.disown(d);
    }

    /** The file to replace, or null when the target is a device or FIFO to write through. */
    private static Path resolve(Run run, Path target) {
        Path abs = target.toAbsolutePath().normalize();
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) return abs;
        Path real = abs;
        try {
            if (Files.isSymbolicLink(abs)) {
                real = Files.exists(abs) ? abs.toRealPath() : abs.getParent().resolve(Files.readSymbolicLink(abs)).normalize();
                run.say("Following the link [" + target + "] to [" + real + "]");
            }
            if (!Files.exists(real) || Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) return real;
            if (Files.isDirectory(real)) throw Fail.die("Can't write [" + target + "]: it is a folder");
            if (isCharOrFifo(real)) {
                run.say("Writing through [" + target + "] (a character device or FIFO: not replaced)");
                return null;
            }
            throw Fail.die("Can't write [" + target + "]: not a regular file, a character device or a FIFO");
        } catch (IOException e) {
            throw Fail.die("Can't write [" + target + "]: " + reason(e));
        }
    }

    private static boolean isCharOrFifo(Path p) throws IOException {
        int mode = (Integer) Files.getAttribute(p, "unix:mode");
        int type = mode & 0170000;
        return type == 0020000 || type == 0010000;
    }

    private static void writeThrough(Path target, Body body) {
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(target, StandardOpenOption.WRITE), 1 << 16)) {
            body.write(guarded(os, target));
        } catch (IOException e) {
            throw Fail.die("Can't write [" + target + "]: " + reason(e));
        }
    }

    private static OutputStream create(Path partial, Path target) throws IOException {
        Set<OpenOption> opts = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        return Channels.newOutputStream(Files.newByteChannel(partial, opts,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"))));
    }

    /** Write errors say write, with the target's name: a full disk is not "Can't read layer". */
    static OutputStream guarded(OutputStream os, Path target) {
        return new FilterOutputStream(os) {
            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    throw Fail.die("Can't write [" + target + "]: " + reason(e));
                }
            }

            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void flush() {
                try {
                    out.flush();
                } catch (IOException e) {
                    throw Fail.die("Can't write [" + target + "]: " + reason(e));
                }
            }
        };
    }

    /** The reason of an I/O error, kept: java.nio names only the path of a permission error. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) return "Permission denied";
        if (e instanceof NoSuchFileException) return "No such file or directory";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
        return String.valueOf(e.getMessage());
    }

    /** Our stdout for results; a reader that went away (`| head`) ends the run quietly, as SIGPIPE would. */
    public static OutputStream stdout() {
        return new FilterOutputStream(Exec.stdout()) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    out.write(b, off, len);
                } catch (IOException e) {
                    if (String.valueOf(e.getMessage()).contains("Broken pipe")) throw new Fail("", "", 141);
                    throw Fail.die("Can't write [stdout]: " + e.getMessage());
                }
            }
        };
    }

    /** Missing folders of the output, made now; returned shallowest first. */
    private static List<Path> mkdirs(Path dir) {
        List<Path> made = new ArrayList<>();
        for (Path d = dir; d != null && !Files.exists(d, LinkOption.NOFOLLOW_LINKS); d = d.getParent()) made.add(0, d);
        try {
            for (Path d : made) Files.createDirectory(d);
        } catch (IOException e) {
            throw Fail.die("Can't create folder [" + dir + "]: " + reason(e));
        }
        return made;
    }

    /** Half-written outputs of runs that were killed (their PID is gone), ours, in this folder. */
    private static void cleanStale(Path dir) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".*.partial-*")) {
            for (Path p : s) {
                String[] parts = p.getFileName().toString().replaceFirst(".*\\.partial-", "").split("-");
                if (parts[0].matches("[0-9]{1,10}") && ProcessHandle.of(Long.parseLong(parts[0])).isEmpty() && Temp.mine(p))
                    Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort: a stale file only costs space
        }
    }

    /**
     * The default output folder (not named on the command line) must be ours or root's and
     * writable by nobody else, up to a folder only root can change (as ssh checks key folders):
     * else anyone could plant links or files there.
     */
    public static void checkFolder(Path dir) {
        try {
            Object me = Temp.uid();
            Path d = dir.toAbsolutePath().normalize();
            while (d != null && !Files.exists(d, LinkOption.NOFOLLOW_LINKS)) d = d.getParent();
            for (; d != null; d = d.getParent()) {
                PosixFileAttributes a = Files.readAttributes(d, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                Object owner = Files.getAttribute(d, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                Set<PosixFilePermission> perm = a.permissions();
                boolean sticky = ((Integer) Files.getAttribute(d, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 01000) != 0;
                boolean loose = !a.isSymbolicLink() && !sticky
                        && (perm.contains(PosixFilePermission.GROUP_WRITE) || perm.contains(PosixFilePermission.OTHERS_WRITE));
                if (!owner.equals(me) && !owner.equals(0)) throw unsafe(dir, d, "owned by uid " + owner);
                if (loose) throw unsafe(dir, d, "writable by group or others");
                if (a.isSymbolicLink()) d = d.toRealPath().resolve("x"); // go on with the folder it names
            }
        } catch (IOException e) {
            throw Fail.die("Can't check the output folder [" + dir + "]: " + e.getMessage());
        }
    }

    private static Fail unsafe(Path dir, Path d, String why) {
        return Fail.die("Unsafe output folder [" + dir + "]: [" + d + "] is " + why + "; give --tar=FILE or fix its owner and mode");
    }
}
