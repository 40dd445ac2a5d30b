package lib.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Strings and times written as Go's encoding/json writes them (the golden files hold whole records). */
class GoJsonTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            plain                    | `plain`                      | `"plain"`
            quote and backslash      | `a"b\\\\c`                      | `"a\\"b\\\\\\\\c"`
            html is escaped          | `<a href=x&y>`               | `"\\u003ca href=x\\u0026y\\u003e"`
            line and para separators | `x\u2028y\u2029`             | `"x\\u2028y\\u2029"`
            control characters       | `\t\n\r\u0001\u001f`         | `"\\t\\n\\r\\u0001\\u001f"`
            non-ASCII kept as is     | `café ✓`                     | `"café ✓"`
            """)
    void stringsEscapedAsGo(String what, String in, String want) {
        assertThat(GoJson.string(new StringBuilder(), in).toString()).as(what).isEqualTo(want);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "2020-09-13T12:26:40Z, 2020-09-13T12:26:40Z",
            "2020-09-13T12:26:40.500Z, 2020-09-13T12:26:40.5Z",
            "2020-09-13T12:26:40.000000001Z, 2020-09-13T12:26:40.000000001Z",
            "2020-09-13T14:26:40.25+02:00, 2020-09-13T14:26:40.25+02:00",
            "1970-01-01T00:00:00Z, 1970-01-01T00:00:00Z",
    })
    void timesAsGoMarshalsThem(String in, String want) {
        assertThat(GoJson.time(OffsetDateTime.parse(in))).isEqualTo(want);
        assertThat(GoJson.time(OffsetDateTime.parse(in).withOffsetSameInstant(ZoneOffset.UTC))).endsWith("Z");
    }
}
