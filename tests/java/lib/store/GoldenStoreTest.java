package lib.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native storage writer against golden files that skopeo wrote from the same input
 * (GoldenInput says how they were captured): layers.json, images.json, the generated manifest,
 * the tar-split records and the big-data file names, compared as text, byte for byte.
 */
class GoldenStoreTest {
    static final Path GOLDEN = Path.of(System.getProperty("repo.dir", "..")).resolve("tests/java/lib/golden");
    static final String ROOT = "var/lib/containers/storage/";
    static final Map<String, byte[]> files = new TreeMap<>();

    @TempDir
    static Path tmp;

    /** Our tree from the golden input, its files by path. */
    @BeforeAll
    static void write() throws IOException {
        Path archive = tmp.resolve("golden.tar");
        GoldenInput.write(archive);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Storage.write(lib.exec.Run.QUIET, List.of("docker-archive:" + archive + ":" + GoldenInput.REF), out);
        try (TarArchiveInputStream t = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            for (TarArchiveEntry e; (e = t.getNextEntry()) != null; ) files.put(e.getName(), t.readAllBytes());
        }
    }

    static String ours(String path) {
        assertThat(files).as("our tree").containsKey(ROOT + path);
        return new String(files.get(ROOT + path), StandardCharsets.UTF_8);
    }

    static String golden(String name) throws IOException {
        return Files.readString(GOLDEN.resolve(name));
    }

    /** skopeo writes the wall clock as a layer's "created"; ours is the image's. Compared apart in GoJsonTest. */
    static String withoutCreated(String layersJson) {
        return layersJson.replaceAll("\"created\":\"[^\"]*\"", "\"created\":\"(time)\"");
    }

    @Test
    void layersJsonAsSkopeoWritesIt() throws IOException {
        assertThat(withoutCreated(ours("overlay-layers/layers.json"))).isEqualTo(withoutCreated(golden("layers.json")));
    }

    @Test
    void imagesJsonAsSkopeoWritesIt() throws IOException {
        assertThat(ours("overlay-images/images.json")).isEqualTo(golden("images.json"));
    }

    @Test
    void generatedManifestAsSkopeoWritesIt() throws IOException {
        String image = imageId();
        assertThat(ours("overlay-images/" + image + "/manifest")).isEqualTo(golden("manifest.json"));
    }

    @Test
    void tarSplitOfEachLayerAsSkopeoWritesIt() throws IOException {
        List<String> layers = new ArrayList<>();
        try (var s = Files.list(GOLDEN)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tar-split.jsonl")).sorted().forEach(layers::add);
        }
        assertThat(layers).hasSize(2);
        for (String l : layers) {
            String id = l.substring(0, l.indexOf('.'));
            byte[] gz = files.get(ROOT + "overlay-layers/" + id + ".tar-split.gz");
            assertThat(gz).as("tar-split of " + id).isNotNull();
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as(id).isEqualTo(golden(l));
            }
        }
    }

    @Test
    void bigDataFileNamesAsSkopeoWritesThem() throws IOException {
        String dir = ROOT + "overlay-images/" + imageId() + "/";
        SortedSet<String> names = new TreeSet<>();
        for (String p : files.keySet())
            if (p.startsWith(dir) && p.length() > dir.length()) names.add(p.substring(dir.length()));
        assertThat(names).isEqualTo(new TreeSet<>(golden("big-data-files.txt").lines().toList()));
    }

    static String imageId() {
        SortedSet<String> ids = new TreeSet<>();
        for (String p : files.keySet())
            if (p.matches(ROOT + "overlay-images/[0-9a-f]{64}/")) ids.add(p.substring((ROOT + "overlay-images/").length(), p.length() - 1));
        assertThat(ids).hasSize(1);
        return ids.first();
    }
}
