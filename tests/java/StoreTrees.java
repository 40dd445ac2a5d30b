import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads containers-storage trees on disk (written by skopeo, or unpacked from a native tar) into
 * plain values that two trees can be compared by: layers.json without times, images.json, the
 * tar-split records, the files of each diff folder (read back through GNU tar, xattrs included).
 */
public final class StoreTrees {
    private StoreTrees() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** layers.json, each layer by id, "created" dropped (skopeo writes the wall clock). */
    static Map<String, JsonNode> layers(Path root) {
        Map<String, JsonNode> m = new TreeMap<>();
        for (JsonNode l : json(root.resolve("overlay-layers/layers.json"))) {
            ((ObjectNode) l).remove("created");
            m.put(l.path("id").asText(), l);
        }
        return m;
    }

    static JsonNode images(Path root) {
        return json(root.resolve("overlay-images/images.json"));
    }

    /** The decompressed tar-split record of a layer. */
    static String tarSplit(Path root, String layer) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(root.resolve("overlay-layers/" + layer + ".tar-split.gz")))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The parents of a layer as its `lower` file names them, mapped back to layer ids through overlay/l/. */
    static List<String> lowers(Path root, String layer) {
        Path lower = root.resolve("overlay/" + layer + "/lower");
        if (!Files.exists(lower)) return List.of();
        List<String> ids = new ArrayList<>();
        for (String l : read(lower).split(":")) {
            try {
                ids.add(Files.readSymbolicLink(root.resolve("overlay/" + l)).getParent().getFileName().toString());
            } catch (IOException e) {
                fail("lower " + l + " of " + layer + " is not a link in overlay/l: " + e);
            }
        }
        return ids;
    }

    /**
     * Every entry of a folder as GNU tar (as root, names sorted, numeric owners, all xattrs) sees it:
     * path -> "type mode uid:gid size sha256 link dev xattrs". Times are left out.
     */
    static SortedMap<String, String> files(Path dir) {
        Bed.Result r = Bed.run(Map.of(), null, "tar", "--xattrs", "--xattrs-include=*", "--numeric-owner", "--sort=name",
                "-C", dir.toString(), "-cf", "-", ".");
        if (r.code() != 0) fail("tar of " + dir + ": " + r);
        SortedMap<String, String> m = new TreeMap<>();
        try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteArrayInputStream(r.stdout()))) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) {
                String hash = type(e) == '0' ? TestImages.sha256(t.readAllBytes()) : "-";
                SortedMap<String, String> x = new TreeMap<>();
                e.getExtraPaxHeaders().forEach((k, v) -> {
                    if (k.startsWith("SCHILY.xattr.")) x.put(k.substring(13), v);
                });
                m.put(e.getName(), String.format("%c %o %d:%d %d %s %s %d,%d %s", (char) type(e), e.getMode() & 07777,
                        e.getLongUserId(), e.getLongGroupId(), e.getSize(), hash, e.getLinkName(), e.getDevMajor(),
                        e.getDevMinor(), x));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    private static byte type(TarArchiveEntry e) {
        if (e.isDirectory()) return '5';
        if (e.isSymbolicLink()) return '2';
        if (e.isLink()) return '1';
        if (e.isCharacterDevice()) return '3';
        if (e.isBlockDevice()) return '4';
        if (e.isFIFO()) return '6';
        return '0';
    }

    /** Paths of the graph root outside the diff folders, overlay/l/ link names replaced by the layer they point to. */
    static SortedSet<String> layout(Path root) {
        SortedSet<String> s = new TreeSet<>();
        try (var walk = Files.walk(root)) {
            walk.forEach(p -> {
                String rel = root.relativize(p).toString();
                if (rel.matches("overlay/[0-9a-f]{64}/diff/.+")) return;
                if (rel.startsWith("overlay/l/")) {
                    try {
                        rel = "overlay/l/->" + Files.readSymbolicLink(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
                s.add(rel);
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return s;
    }

    static JsonNode json(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
