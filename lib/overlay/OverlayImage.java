package lib.overlay;

import lib.Fail;
import lib.exec.Run;
import lib.model.Digest;
import lib.model.ImageConfig;
import lib.model.ImageRef;
import lib.model.JsonWriter;
import lib.tar.TarReader;
import lib.tar.TarWriter;
import lib.tar.Tars;
import java.io.*;
import java.nio.file.*;
import java.security.DigestOutputStream;
import java.util.*;

/**
 * The image of an overlay image folder, made without docker: one layer, the output of the
 * folder's `tar` script as `docker build` (ADD ovl.tar /) or `docker import` would store it,
 * and a config from the Dockerfile or the old manifest.json. Same input, same bytes.
 */
public final class OverlayImage {
    /** The layer file (uncompressed tar) with its digest, and the config bytes. */
    public record Built(String name, Path layer, Digest diffId, long layerSize, byte[] config) {}

    private OverlayImage() {}

    /** Builds the image of DIR in folder tmp; name is required with a Dockerfile, else it comes from the manifest. */
    public static Built build(Run run, Path dir, Path manifest, String name, Path tmp) {
        ImageDir.check(dir);
        ImageConfig config;
        Dockerfile df = null;
        if (ImageDir.hasDockerfile(dir)) {
            df = Dockerfile.read(dir.resolve("Dockerfile"));
            if (name == null || name.isBlank()) throw Fail.die("No --tag specified");
            config = df.config();
        } else {
            AppcManifest m = AppcManifest.read(manifest != null ? manifest : dir.toAbsolutePath().resolve("manifest.json"));
            config = ImageConfig.empty().withCmd(m.exec());
            if (name == null || name.isBlank()) name = m.image();
        }
        ImageRef.versioned(name);
        Path ovl = tmp.resolve("ovl.tar");
        ImageDir.tarScript(run, dir, ovl.toString()).run();
        if (!Files.isRegularFile(ovl) || size(ovl) == 0) throw Fail.die("Failed to create ovl.tar [" + dir.resolve("tar") + " wrote nothing]");
        Path layer = tmp.resolve("layer.tar");
        long[] newest = {0};
        Digest diffId = layer(ovl, df, config.workdir(), layer, newest);
        return new Built(name, layer, diffId, size(layer), config(config, diffId, created(newest[0])));
    }

    /**
     * The layer: the tar's entries with clean names ("./bin/" is "bin/"), as docker stores them; newest[0] gets the newest
     * mtime (s). Read and written by the project's own tar code: names and xattr values are bytes (a capability's 0x80
     * byte stays one byte), kept one char per byte (ISO-8859-1) from ovl.tar to the layer.
     */
    static Digest layer(Path ovl, Dockerfile df, String workdir, Path out, long[] newest) {
        String dest = raw(df == null ? "" : df.dest().replaceAll("^/+", "").replaceAll("/*$", ""));
        Set<String> seen = new HashSet<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(ovl), 1 << 16);
                DigestOutputStream dig = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(out)), Digest.newSha256())) {
            TarWriter t = new TarWriter(dig);
            for (String d : parents(dest)) dir(t, d + "/", seen);
            if (df != null && !df.extract()) {
                copyFile(t, ovl, dest.isEmpty() || df.dest().endsWith("/") ? join(dest, raw(df.source())) : dest, df.chown());
            } else {
                TarReader r = new TarReader(in);
                for (TarReader.Header h; (h = r.next()) != null; r.rawBytes()) {
                    if (h.type == 'g') continue; // a PAX global header: no file
                    newest[0] = Math.max(newest[0], h.mtime);
                    unsafe(h.name, ovl);
                    if (h.type == '1') unsafe(h.linkname, ovl);
                    String name = clean(h.name);
                    if (name.isEmpty()) continue; // the root folder itself
                    name = join(dest, name);
                    copyEntry(t, r, h, h.isDir() ? name + "/" : name, h.type == '1' ? join(dest, clean(h.linkname)) : h.linkname, ovl);
                    seen.add(h.isDir() ? name + "/" : name);
                }
            }
            for (String d : parents(raw(workdir).replaceAll("^/+", ""))) dir(t, d + "/", seen); // WORKDIR makes its folder
            t.finish();
            dig.flush();
            return Digest.of(dig.getMessageDigest());
        } catch (IOException e) {
            throw Fail.die("Can't read ovl.tar [" + ovl + "]: " + Tars.printable(e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    /** One member of ovl.tar as it is (mode, owner, times, device, xattrs as bytes), under its new name. */
    private static void copyEntry(TarWriter t, TarReader r, TarReader.Header h, String name, String link, Path ovl) throws IOException {
        byte type = h.type == 0 || h.type == '7' ? (byte) '0' : h.type;
        if ("0123456".indexOf(type) < 0)
            throw Fail.die("Unsupported member [" + Tars.printable(h.name) + "] in the ovl.tar of the tar script: type '" + (char) type + "'");
        long size = type == '0' ? h.size : 0;
        t.put(TarWriter.Entry.of(name, type).withMode((int) (h.mode & 07777)).withOwner(h.uid, h.gid).withMtime(h.mtime, h.mtimeNanos)
                .withLink(link).withSize(size).withDevice(h.devmajor, h.devminor).withXattrs(h.xattrs));
        if (size == 0) return;
        byte[] buf = new byte[1 << 16];
        for (int n; (n = r.read(buf, 0, buf.length)) > 0; ) t.write(buf, 0, n);
    }

    /** A name from a Dockerfile (text) as the raw bytes the tar code carries, one char per byte. */
    private static String raw(String s) {
        return new String(s.getBytes(java.nio.charset.StandardCharsets.UTF_8), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** A member that would land outside the image's root: named with the script that wrote it. */
    private static void unsafe(String name, Path ovl) {
        if (Arrays.asList(name.split("/")).contains(".."))
            throw Fail.die("Unsafe member [" + Tars.printable(name) + "] in the ovl.tar of the tar script: path with ..");
    }

    /** ADD of a file that is not extracted: the file itself, 0644, its own time, root or --chown's ids. */
    private static void copyFile(TarWriter t, Path file, String name, String chown) throws IOException {
        long uid = 0, gid = 0;
        if (chown != null) {
            String[] ug = chown.split(":");
            if (!ug[0].matches("[0-9]+") || ug.length > 1 && !ug[1].matches("[0-9]+"))
                throw Fail.die("COPY --chown=" + chown + " with names needs docker; use numeric ids");
            uid = Integer.parseInt(ug[0]);
            gid = Integer.parseInt(ug.length > 1 ? ug[1] : ug[0]);
        }
        long size = Files.size(file), mtime = Files.getLastModifiedTime(file).toMillis() / 1000;
        t.put(TarWriter.Entry.file(name, 0644, mtime, size).withOwner(uid, gid));
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) t.write(buf, 0, n);
        }
    }

    private static void dir(TarWriter t, String name, Set<String> seen) throws IOException {
        if (!seen.add(name)) return;
        t.put(TarWriter.Entry.dir(name, 0755, 0, 0, epoch()));
    }

    /** "a/b/c" gives a, a/b, a/b/c. */
    static List<String> parents(String path) {
        List<String> l = new ArrayList<>();
        if (path.isEmpty()) return l;
        String[] parts = path.split("/+");
        StringBuilder b = new StringBuilder();
        for (String p : parts) {
            if (b.length() > 0) b.append('/');
            b.append(p);
            l.add(b.toString());
        }
        return l;
    }

    static String clean(String name) {
        String n = name.replaceAll("^(\\./|/)+", "").replaceAll("/+$", "");
        return n.equals(".") ? "" : n;
    }

    static String join(String dest, String name) {
        return dest.isEmpty() ? name : dest + "/" + name;
    }

    /**
     * When the image was made, the same for the same input: SOURCE_DATE_EPOCH when set, else the
     * newest time among the layer's entries (0 would show as "56 years ago" in podman).
     */
    static long created(long newestEntry) {
        String s = System.getenv("SOURCE_DATE_EPOCH");
        return s != null && s.matches("[0-9]+") ? Long.parseLong(s) : newestEntry;
    }

    /** The image config, as docker writes it, created at `created` (seconds). */
    static byte[] config(ImageConfig c, Digest diffId, long createdAt) {
        String created = java.time.Instant.ofEpochSecond(createdAt).toString();
        return JsonWriter.write(g -> {
            g.writeStartObject();
            g.writeStringField("architecture", arch());
            g.writeFieldName("config");
            c.write(g);
            g.writeStringField("created", created);
            g.writeArrayFieldStart("history");
            g.writeStartObject();
            g.writeStringField("created", created);
            g.writeStringField("created_by", "images mkimage (without docker)");
            g.writeEndObject();
            g.writeEndArray();
            g.writeStringField("os", "linux");
            g.writeObjectFieldStart("rootfs");
            g.writeStringField("type", "layers");
            JsonWriter.strings(g, "diff_ids", List.of(diffId.toString()));
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    public static long epoch() {
        String s = System.getenv("SOURCE_DATE_EPOCH");
        return s != null && s.matches("[0-9]+") ? Long.parseLong(s) : 0;
    }

    static String arch() {
        String a = System.getProperty("os.arch");
        return switch (a) {
            case "x86_64", "amd64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> a;
        };
    }

    static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }
}
