package lib.model;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * JSON written byte for byte as Go's encoding/json writes the containers/storage records:
 * compact, fields in struct order (the callers keep it), maps sorted, and &lt; &gt; &amp;
 * U+2028 U+2029 escaped as \\u00XX.
 *
 * Why not jackson-core's generator with CharacterEscapes (tried, jackson 2.21): once custom
 * escapes are set, it writes a character beyond U+FFFF as two escapes (\\uD812\\uDE70) even with
 * COMBINE_UNICODE_SURROGATES_IN_UTF8, where Go writes its UTF-8 bytes; a file name with such a
 * character in layers.json or a tar-split record would then differ from skopeo's. All other
 * strings (200,000 random ones with controls, &lt;&gt;&amp;, U+2028/9, non-ASCII) came out the same.
 */
public final class GoJson {
    private GoJson() {}

    /** "key":"value" */
    public static StringBuilder field(StringBuilder sb, String key, String value) {
        return string(string(sb, key).append(':'), value);
    }

    public static StringBuilder string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029')
                        sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"');
    }

    /** Go's time.Time in JSON: RFC 3339 with the nanoseconds that are not zero, Z for UTC. */
    public static String time(OffsetDateTime t) {
        StringBuilder sb = new StringBuilder(t.format(DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss")));
        if (t.getNano() != 0) {
            String n = String.format("%09d", t.getNano());
            sb.append('.').append(n.replaceFirst("0+$", ""));
        }
        ZoneOffset o = t.getOffset();
        sb.append(o.getTotalSeconds() == 0 ? "Z" : o.getId());
        return sb.toString();
    }
}
