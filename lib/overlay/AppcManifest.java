package lib.overlay;

import lib.Fail;
import lib.model.ImageRef;
import lib.model.JsonValue;
import lib.model.JsonWriter;
import java.io.IOException;
import java.nio.file.*;
import java.util.*;

/** The old way's appc-style manifest.json: only `name`, the `version` label and `app.exec` are used. */
public record AppcManifest(String name, String version, List<String> exec) {
    /** name:version */
    public String image() {
        return name + ":" + version;
    }

    /** Reads the manifest; a wrong one gets an error that says which field. */
    public static AppcManifest read(Path m) {
        if (!Files.isReadable(m) || Files.isDirectory(m)) throw Fail.die("Not readable [" + m + "]");
        JsonValue j;
        try {
            byte[] b = Files.readAllBytes(m);
            j = JsonValue.parse(new String(b, java.nio.charset.StandardCharsets.UTF_8).isBlank() ? "{}".getBytes() : b);
        } catch (IOException e) {
            throw Fail.die("Malformed manifest [" + m + "]: " + e.getMessage().split("\n")[0]);
        }
        String name = j.path("name").asText("");
        if (name.isBlank()) throw Fail.die("No .name in manifest [" + m + "]");
        String version = null;
        for (JsonValue l : j.path("labels")) if ("version".equals(l.path("name").asText())) version = l.path("value").asText("");
        if (version == null || version.isBlank()) throw Fail.die("No version label in .labels of manifest [" + m + "]");
        JsonValue exec = j.path("app").path("exec");
        if (!exec.isArray() || exec.size() == 0) throw Fail.die("No .app.exec array in manifest [" + m + "]");
        List<String> cmd = new ArrayList<>();
        exec.forEach(e -> cmd.add(e.asText()));
        ImageRef.versioned(name + ":" + version);
        return new AppcManifest(name, version, List.copyOf(cmd));
    }

    /** The command as the JSON array `docker import -c 'CMD ...'` takes. */
    public String execJson() {
        byte[] json = JsonWriter.write(g -> {
            g.writeStartArray();
            for (String e : exec) g.writeString(e);
            g.writeEndArray();
        });
        return new String(json, java.nio.charset.StandardCharsets.UTF_8);
    }
}
