package lib.store;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.zip.GZIPInputStream;
import lib.Fail;
import lib.exec.Exec;
import lib.exec.Run;
import lib.model.*;
import lib.tar.*;
import lib.vm.VmBoot;

/**
 * make --via=skopeo: the VM boot step for the tree skopeo wrote, found exactly as the native
 * writer finds it. Each layer is rebuilt from its tar-split and its diff/ files (the bytes
 * skopeo was given, its digest checked) and read by OverlayLayer into nothing, so that VmBoot
 * sees the same entries; the whiteouts for opaque folders are then made in diff/ (mknod), and the
 * boot script, its data and the pinned drop-in written beside var/. The opaque marks are left
 * out by the tar step (--xattrs-exclude): the whiteouts do their work (see README, "The VM boot step").
 */
public final class SkopeoBoot {
    private SkopeoBoot() {}

    /** tmp holds var/lib/containers/storage as skopeo left it. */
    public static void apply(Run run, Path tmp, VmBoot vm) {
        Path root = tmp.resolve(StoreLayout.ROOT);
        try {
            JsonValue layers = JsonValue.parse(Files.readAllBytes(root.resolve(StoreLayout.LAYERS_JSON)));
            Map<String, String> parents = new LinkedHashMap<>(); // created parents first
            for (JsonValue l : layers) parents.put(l.path("id").asText(), l.path("parent").asText(null));
            Map<String, List<String>> chains = new HashMap<>();
            for (JsonValue l : layers) {
                String id = l.path("id").asText(), parent = parents.get(id);
                long children = parents.values().stream().filter(id::equals).count();
                VmBoot.Layer v = vm.layer(id, StoreLayout.ROOT + StoreLayout.diff(id) + "/", parent, (int) children);
                Layer blob = new Layer(Digest.parse(l.path("diff-digest").asText(), "diff-digest", id), null, -1,
                        () -> replay(root, id), "layer " + id);
                OverlayLayer.write(blob, TarWriter.Entry.dir(StoreLayout.ROOT + StoreLayout.diff(id) + "/", 0555, 0, 0, 0), 0,
                        new TarWriter(OutputStream.nullOutputStream()), v);
                for (String w : v.whiteouts())
                    Exec.of(run, "mknod", "-m", "000", root.resolve(StoreLayout.diff(id) + "/" + w).toString(), "c", "0", "0")
                            .fails("mknod", w).changes().run();
                List<String> chain = new ArrayList<>(parent == null ? List.of() : chains.get(parent));
                chain.add(id);
                chains.put(id, chain);
            }
            for (JsonValue img : JsonValue.parse(Files.readAllBytes(root.resolve(StoreLayout.IMAGES_JSON)))) {
                List<String> names = new ArrayList<>();
                img.path("names").forEach(n -> names.add(n.asText()));
                vm.names(names);
                for (String w : vm.warnings(names.isEmpty() ? img.path("id").asText() : names.get(0),
                        chains.getOrDefault(img.path("layer").asText(), List.of()))) System.err.println(w);
            }
            run.say(vm.summary());
            files(tmp, vm);
        } catch (IOException e) {
            throw Fail.die("Can't prepare the VM boot step in [" + root + "]: " + e.getMessage());
        }
    }

    /** The layer tar as containers/storage gives it back: tar-split segments, and file bodies from diff/. */
    private static InputStream replay(Path root, String id) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                Files.newInputStream(root.resolve(StoreLayout.tarSplit(id))), 1 << 16), StandardCharsets.UTF_8));
        Enumeration<InputStream> parts = new Enumeration<>() {
            InputStream next = advance();

            private InputStream advance() {
                try {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.isBlank()) continue;
                        JsonValue e = JsonValue.parse(line.getBytes(StandardCharsets.UTF_8));
                        if (e.path("type").asLong(0) == 2) return new ByteArrayInputStream(Base64.getDecoder().decode(e.path("payload").asText()));
                        long size = e.path("size").asLong(0);
                        if (size == 0) continue;
                        String name = e.has("name_raw") ? new String(Base64.getDecoder().decode(e.path("name_raw").asText()), StandardCharsets.ISO_8859_1)
                                : new String(e.path("name").asText().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
                        Path f = root.resolve(StoreLayout.diff(id) + "/" + GoPath.clean("/" + name).substring(1));
                        return new lib.tar.Bounded(new BufferedInputStream(Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS), 1 << 16), size); // the tar-split's size: a file that grew is not read on, one that shrank fails the digest
                    }
                    r.close();
                    return null;
                } catch (IOException x) {
                    throw new UncheckedIOException(x);
                }
            }

            public boolean hasMoreElements() {
                return next != null;
            }

            public InputStream nextElement() {
                InputStream n = next;
                next = advance();
                return n;
            }
        };
        return new SequenceInputStream(parts);
    }

    /** The boot script, its data and the drop-in, with their owners and modes, beside var/. */
    private static void files(Path tmp, VmBoot vm) throws IOException {
        for (VmBoot.File f : vm.files()) {
            Path p = tmp.resolve(f.path());
            if (f.body() == null) Files.createDirectories(p);
            else {
                Files.createDirectories(p.getParent());
                Files.write(p, f.body());
            }
            Files.setAttribute(p, "unix:uid", (int) f.uid());
            Files.setAttribute(p, "unix:gid", (int) f.gid());
            Files.setAttribute(p, "unix:mode", f.mode());
        }
    }
}
