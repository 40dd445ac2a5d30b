package lib.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.*;

/**
 * A small JSON document (manifest.json, index.json, a manifest, an image config) as a tree,
 * read with jackson-core's streaming parser: it starts in a fraction of ObjectMapper's time,
 * which counts when the whole run takes a second or two. Navigation as with JsonNode: path()
 * never fails, a missing value answers asText(default).
 */
public final class JsonValue implements Iterable<JsonValue> {
    private static final JsonFactory FACTORY = new JsonFactory();
    public static final JsonValue MISSING = new JsonValue(null);
    private final Object value; // Map<String, JsonValue>, List<JsonValue>, String, Number, Boolean or null

    private JsonValue(Object value) {
        this.value = value;
    }

    public static JsonValue parse(byte[] json) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() == null) throw new IOException("empty document");
            JsonValue v = read(p);
            if (p.nextToken() != null) throw new IOException("data after the document" + at(p.currentTokenLocation()));
            return v;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) { // one line: the parser's own text and the position
            throw new IOException(e.getOriginalMessage().replaceAll("\\s+", " ") + at(e.getLocation()), e);
        }
    }

    private static String at(com.fasterxml.jackson.core.JsonLocation l) {
        return l == null ? "" : " at line " + l.getLineNr() + ", column " + l.getColumnNr();
    }

    /**
     * The top-level fields of a JSON object with each value's text exactly as it is in the bytes
     * (what Go keeps in a json.RawMessage), keys sorted; null when it is not one object.
     */
    public static SortedMap<String, String> rawFields(byte[] json) {
        SortedMap<String, String> out = new TreeMap<>();
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                int start = (int) p.currentTokenLocation().getByteOffset();
                p.skipChildren();
                p.finishToken(); // a string is read lazily: its end is not known before
                int end = (int) p.currentLocation().getByteOffset();
                out.put(key, new String(json, start, end - start, java.nio.charset.StandardCharsets.UTF_8));
            }
            return p.nextToken() == null ? out : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static JsonValue read(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, JsonValue> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    m.put(key, read(p));
                }
                return new JsonValue(m);
            }
            case START_ARRAY -> {
                List<JsonValue> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) l.add(read(p));
                return new JsonValue(l);
            }
            case VALUE_STRING -> {
                return new JsonValue(p.getText());
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                return new JsonValue(p.getNumberValue());
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return new JsonValue(t == JsonToken.VALUE_TRUE);
            }
            case VALUE_NULL -> {
                return new JsonValue(null);
            }
            default -> throw new IOException("unexpected " + t);
        }
    }

    /** The member of an object, or a missing value. */
    public JsonValue path(String key) {
        return value instanceof Map<?, ?> m && m.get(key) instanceof JsonValue v ? v : MISSING;
    }

    /** The members of an object, in order (empty for anything else). */
    @SuppressWarnings("unchecked")
    public Map<String, JsonValue> fields() {
        return value instanceof Map<?, ?> m ? Collections.unmodifiableMap((Map<String, JsonValue>) m) : Map.of();
    }

    /** The element of an array, or a missing value. */
    public JsonValue get(int i) {
        return value instanceof List<?> l && i >= 0 && i < l.size() ? (JsonValue) l.get(i) : MISSING;
    }

    public boolean has(String key) {
        return value instanceof Map<?, ?> m && m.containsKey(key);
    }

    public boolean isArray() {
        return value instanceof List;
    }

    public int size() {
        return value instanceof List<?> l ? l.size() : value instanceof Map<?, ?> m ? m.size() : 0;
    }

    /** A string or number as text; `otherwise` when missing, null or a container. */
    public String asText(String otherwise) {
        return value instanceof String || value instanceof Number || value instanceof Boolean ? value.toString() : otherwise;
    }

    public String asText() {
        return asText("");
    }

    public long asLong(long otherwise) {
        return value instanceof Number n ? n.longValue() : otherwise;
    }

    /** Compact JSON text, as Jackson writes it; a missing value is "", as JsonNode prints one. */
    public String toJson() {
        if (this == MISSING) return "";
        return new String(JsonWriter.write(this::write), java.nio.charset.StandardCharsets.UTF_8);
    }

    private void write(com.fasterxml.jackson.core.JsonGenerator g) throws IOException {
        if (value instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName((String) e.getKey());
                ((JsonValue) e.getValue()).write(g);
            }
            g.writeEndObject();
        } else if (value instanceof List<?> l) {
            g.writeStartArray();
            for (Object o : l) ((JsonValue) o).write(g);
            g.writeEndArray();
        } else if (value instanceof String s) g.writeString(s);
        else if (value instanceof Boolean b) g.writeBoolean(b);
        else if (value instanceof Number n) g.writeNumber(n.toString());
        else g.writeNull();
    }

    /** The elements of an array (nothing for anything else). */
    @Override
    public Iterator<JsonValue> iterator() {
        if (!(value instanceof List<?> l)) return Collections.emptyIterator();
        List<JsonValue> items = new ArrayList<>();
        for (Object o : l) items.add((JsonValue) o);
        return items.iterator();
    }
}
