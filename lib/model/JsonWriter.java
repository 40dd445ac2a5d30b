package lib.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * JSON written with jackson-core's streaming generator (JsonValue is the reader): compact,
 * fields in the order written, Jackson's escaping. Used for what docker and the OCI layout read
 * (image configs, manifests, indexes). The records containers/storage writes with Go's escaping
 * are GoJson's: see there why.
 */
public final class JsonWriter {
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonWriter() {}

    /** What the body writes with the generator. */
    public interface Body {
        public void write(JsonGenerator g) throws IOException;
    }

    public static byte[] write(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in memory: does not happen
        }
        return out.toByteArray();
    }

    /** Indented, for people (images ls --json, images inspect). */
    public static String pretty(Body body) {
        return new String(write(g -> {
            g.useDefaultPrettyPrinter();
            body.write(g);
        }), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A JSON document (read as it is) as the next value. */
    public static void copy(JsonGenerator g, byte[] json) throws IOException {
        try (com.fasterxml.jackson.core.JsonParser p = FACTORY.createParser(json)) {
            p.nextToken();
            g.copyCurrentStructure(p);
        }
    }

    /** "key":["a","b"] */
    public static void strings(JsonGenerator g, String key, List<String> values) throws IOException {
        g.writeArrayFieldStart(key);
        for (String v : values) g.writeString(v);
        g.writeEndArray();
    }
}
