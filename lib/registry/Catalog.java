package lib.registry;

import lib.exec.Run;
import lib.model.Platform;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lib.model.Digest;
import lib.Fail;
import lib.model.ImageRef;
import lib.model.JsonValue;

/**
 * What a registry holds, read with the registry client: the catalog and tags (following `Link`
 * pagination), whether a tag is there, an image's summary (as skopeo inspect prints it), and
 * deleting an image by its manifest's digest.
 */
public final class Catalog {
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
    private static final int PAGE_MAX = 4 << 20;

    /** What Go's json.MarshalIndent(v, "", "    ") writes, as skopeo inspect prints. */
    private static final DefaultPrettyPrinter GO_INDENT = new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("    ", "\n")).withArrayIndenter(new DefaultIndenter("    ", "\n"));

    private Catalog() {}

    /** lreg_ls: each repository, then its tags as compact JSON. */
    public static void ls(Run run, String address, PrintStream out) {
        Client c = Client.of(run, address, false);
        for (String repo : pages(c, "/v2/_catalog", "repositories", "registry:catalog:*")) {
            out.println(repo + ":");
            List<String> tags = pages(c, "/v2/" + repo + "/tags/list", "tags", Client.scope(repo, "pull"));
            StringBuilder j = new StringBuilder("[");
            for (String t : tags) j.append(j.length() > 1 ? "," : "").append('"').append(t.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            out.println("  " + j.append("]"));
        }
    }

    /** The strings of one array field over every page. */
    static List<String> pages(Client c, String path, String field, String scope) {
        List<String> out = new ArrayList<>();
        for (int page = 0; path != null; page++) {
            if (page == 10_000) throw Fail.die("Too many pages [" + c.host + path + "]");
            try (Client.Response r = c.get(path, Map.of("Accept", "application/json"), scope)) {
                Client.check(r, c.host, path);
                byte[] b = r.body().readNBytes(PAGE_MAX + 1);
                if (b.length > PAGE_MAX) throw Fail.die("Too large [" + c.host + path + "]");
                for (JsonValue v : JsonValue.parse(b).path(field)) out.add(v.asText());
                Matcher m = NEXT.matcher(Objects.requireNonNullElse(r.header("Link"), ""));
                path = m.find() ? m.group(1) : null;
            } catch (IOException e) {
                throw Fail.die("Can't read [" + c.host + path + "]: " + e.getMessage());
            }
        }
        return out;
    }

    /** lreg_isloaded: does the registry have this tag (HEAD of its manifest)? */
    public static boolean has(Run run, String ref) {
        ImageRef r = ImageRef.parse(ref);
        Client c = Client.of(run, r.domain(), false);
        String v = r.digest() != null ? r.digest() : r.tag() != null ? r.tag() : "latest";
        try (Client.Response resp = c.send("HEAD", "/v2/" + r.path() + "/manifests/" + v, Map.of("Accept", Pull.ACCEPT),
                Client.scope(r.path(), "pull"), null)) {
            return resp.status() == 200;
        }
    }

    /** lreg_rm: delete the manifest the reference names, by its digest. */
    public static void rm(Run run, String ref) {
        ImageRef r = ImageRef.versioned(ref);
        Client c = Client.of(run, r.domain(), false);
        String where = "docker://" + ref;
        Pull.Manifest m = Pull.manifest(c, r.path(), r.digest() != null ? r.digest() : r.tag(), where);
        try (Client.Response resp = c.send("DELETE", "/v2/" + r.path() + "/manifests/" + m.digest(), Map.of(),
                Client.scope(r.path(), "pull,push,delete"), null)) {
            if (resp.status() != 202 && resp.status() != 200) throw Fail.die("lreg_rm failed [" + ref + "]: HTTP " + resp.status());
        }
    }

    /** lreg_inspect: what skopeo inspect prints of an image (its manifest for the wanted platform). */
    public static void inspect(Run run, String ref, PrintStream out) {
        ImageRef r = ImageRef.versioned(ref);
        Pull.Resolved res = Pull.resolve(run, Platform.host(), ref, false);
        Pull.Manifest m = res.manifests().get(res.manifests().size() - 1);
        Download.Blob cfg = res.blobs().get(0);
        byte[] config;
        try (var in = Download.stream(cfg)) {
            config = in.readNBytes(PAGE_MAX + 1);
        } catch (IOException e) {
            throw Fail.die("Can't read config [docker://" + ref + "]: " + e.getMessage());
        }
        if (!Digest.of(config).equals(cfg.digest())) throw Fail.die("Digest mismatch [docker://" + ref + ": " + cfg.digest() + "]");
        List<String> tags = pages(Client.of(run, r.domain(), false), "/v2/" + r.path() + "/tags/list", "tags", Client.scope(r.path(), "pull"));
        out.println(summary(r, res.top().digest(), tags, config, res.blobs()));
    }

    static String summary(ImageRef r, Digest digest, List<String> tags, byte[] config, List<Download.Blob> blobs) {
        try {
            JsonValue c = JsonValue.parse(config);
            StringWriter w = new StringWriter();
            try (JsonGenerator g = new JsonFactory().createGenerator(w).setPrettyPrinter(GO_INDENT)) {
                g.writeStartObject();
                g.writeStringField("Name", r.domain() + "/" + r.path());
                g.writeStringField("Digest", digest.toString());
                strings(g, "RepoTags", tags);
                g.writeStringField("Created", c.path("created").asText(""));
                g.writeStringField("Architecture", c.path("architecture").asText(""));
                g.writeStringField("Os", c.path("os").asText(""));
                strings(g, "Layers", blobs.subList(1, blobs.size()).stream().map(b -> b.digest().toString()).toList());
                List<String> env = new ArrayList<>();
                for (JsonValue e : c.path("config").path("Env")) env.add(e.asText());
                strings(g, "Env", env);
                g.writeEndObject();
            }
            return w.toString();
        } catch (IOException e) {
            throw Fail.die("Invalid config [docker://" + r + "]: " + e.getMessage());
        }
    }

    private static void strings(JsonGenerator g, String key, List<String> values) throws IOException {
        g.writeArrayFieldStart(key);
        for (String v : values) g.writeString(v);
        g.writeEndArray();
    }
}
