package lib.overlay;

import lib.Fail;
import lib.model.Digest;
import lib.model.ImageConfig;
import lib.model.ImageRef;
import lib.model.JsonWriter;
import java.io.*;
import java.nio.file.*;
import java.security.DigestOutputStream;
import java.util.*;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

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
    public static Built build(Path dir, Path manifest, String name, Path tmp) {
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
        ImageDir.tarScript(dir, ovl.toString()).run();
        if (!Files.isRegularFile(ovl) || size(ovl) == 0) throw Fail.die("Failed to create ovl.tar [" + dir.resolve("tar") + " wrote nothing]");
        Path layer = tmp.resolve("layer.tar");
        long[] newest = {0};
        Digest diffId = layer(ovl, df, config.workdir(), layer, newest);
        return new Built(name, layer, diffId, size(layer), config(config, diffId, created(newest[0])));
    }

    /** The layer: the tar's entries with clean names ("./bin/" is "bin/"), as docker stores them; newest[0] gets the newest mtime (s). */
    static Digest layer(Path ovl, Dockerfile df, String workdir, Path out, long[] newest) {
        String dest = df == null ? "" : df.dest().replaceAll("^/+", "").replaceAll("/*$", "");
        Set<String> seen = new HashSet<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new BufferedInputStream(Files.newInputStream(ovl)));
                DigestOutputStream dig = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(out)), Digest.newSha256());
                TarArchiveOutputStream t = new TarArchiveOutputStream(dig, "UTF-8")) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (String d : parents(dest)) dir(t, d + "/", seen);
            if (df != null && !df.extract()) {
                copyFile(t, ovl, dest.isEmpty() || df.dest().endsWith("/") ? join(dest, df.source()) : dest, df.chown());
            } else {
                for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                    newest[0] = Math.max(newest[0], e.getModTime().getTime() / 1000);
                    unsafe(e.getName(), ovl);
                    if (e.isLink()) unsafe(e.getLinkName(), ovl);
                    String name = clean(e.getName());
                    if (name.isEmpty()) continue; // the root folder itself
                    name = join(dest, name);
                    e.setName(e.isDirectory() ? name + "/" : name);
                    if (e.isLink()) e.setLinkName(join(dest, clean(e.getLinkName())));
                    t.putArchiveEntry(e);
                    if (!e.isDirectory()) in.transferTo(t);
                    t.closeArchiveEntry();
                    seen.add(e.getName());
                }
            }
            for (String d : parents(workdir.replaceAll("^/+", ""))) dir(t, d + "/", seen); // WORKDIR makes its folder
            t.finish();
            dig.flush();
            return Digest.of(dig.getMessageDigest());
        } catch (IOException e) {
            throw Fail.die("Can't read ovl.tar [" + ovl + "]: " + e.getMessage());
        }
    }

    /** A member that would land outside the image's root: named with the script that wrote it. */
    private static void unsafe(String name, Path ovl) {
        if (Arrays.asList(name.split("/")).contains(".."))
            throw Fail.die("Unsafe member [" + name + "] in the ovl.tar of the tar script: path with ..");
    }

    private static void copyFile(TarArchiveOutputStream t, Path file, String name, String chown) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(file.toFile(), name);
        e.setUserId(0);
        e.setGroupId(0);
        e.setUserName("");
        e.setGroupName("");
        if (chown != null) {
            String[] ug = chown.split(":");
            if (!ug[0].matches("[0-9]+") || ug.length > 1 && !ug[1].matches("[0-9]+"))
                throw Fail.die("COPY --chown=" + chown + " with names needs docker; use numeric ids");
            e.setUserId(Integer.parseInt(ug[0]));
            e.setGroupId(Integer.parseInt(ug.length > 1 ? ug[1] : ug[0]));
        }
        t.putArchiveEntry(e);
        Files.copy(file, t);
        t.closeArchiveEntry();
    }

    private static void dir(TarArchiveOutputStream t, String name, Set<String> seen) throws IOException {
        if (!seen.add(name)) return;
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_DIR);
        e.setMode(040755);
        e.setModTime(epoch() * 1000);
        t.putArchiveEntry(e);
        t.closeArchiveEntry();
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
