package lib.tar;

import static org.assertj.core.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** TarReader's numeric fields and its refusals of archives that are not tar. */
class TarReaderTest {
    /** A field of 12 bytes holding the text, NUL-padded. */
    static byte[] field(String text) {
        byte[] b = new byte[12];
        byte[] t = text.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(t, 0, b, 0, t.length);
        return b;
    }

    @ParameterizedTest(name = "octal [{0}] = {1}")
    @CsvSource(delimiter = '|', textBlock = """
            00000000644     | 420
            '     644 '     | 420
            0               | 0
            77777777777     | 8589934591
            ''              | 0
            """)
    void octalFieldsWithSpacesAndNuls(String text, long want) throws IOException {
        assertThat(TarReader.number(field(text), 0, 12)).isEqualTo(want);
    }

    @Test
    void base256FieldsAsGnuWritesBigNumbers() throws IOException {
        byte[] b = new byte[12];
        b[0] = (byte) 0x80;
        b[11] = 1;
        b[10] = 2; // 0x0201
        assertThat(TarReader.number(b, 0, 12)).isEqualTo(0x201);
        b[0] = (byte) 0xff; // negative in base-256: no size or id is
        assertThatThrownBy(() -> TarReader.number(b, 0, 12)).hasMessage("invalid tar header (negative number)");
    }

    @Test
    void notOctal() {
        assertThatThrownBy(() -> TarReader.number(field("12x"), 0, 12)).hasMessage("invalid tar header (bad number)");
    }

    static byte[] oneFile() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(buf);
        w.put(TarWriter.Entry.file("f", 0644, 0, 0), "body".getBytes(StandardCharsets.UTF_8));
        w.finish();
        return buf.toByteArray();
    }

    static void readAll(byte[] tar) throws IOException {
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        byte[] buf = new byte[512];
        for (TarReader.Header h = r.next(); h != null; h = r.next()) while (r.read(buf, 0, buf.length) > 0) { }
    }

    @Test
    void aChangedHeaderByteIsABadChecksum() throws IOException {
        byte[] tar = oneFile();
        tar[0] = 'g';
        assertThatThrownBy(() -> readAll(tar)).isInstanceOf(IOException.class).hasMessage("invalid tar header (bad checksum)");
    }

    @Test
    void aTruncatedHeaderOrBody() throws IOException {
        byte[] tar = oneFile();
        assertThatThrownBy(() -> readAll(Arrays.copyOf(tar, 300))).hasMessage("unexpected end of data (truncated header)");
        assertThatThrownBy(() -> readAll(Arrays.copyOf(tar, 514))).hasMessage("unexpected end of data (truncated)");
    }

    @Test
    void aZeroBlockFollowedByData() throws IOException {
        byte[] file = oneFile();
        byte[] tar = new byte[512 + file.length];
        System.arraycopy(file, 0, tar, 512, file.length);
        assertThatThrownBy(() -> readAll(tar)).hasMessage("invalid tar header (a zero block, then data)");
    }

    @Test
    void anEmptyStreamAndOnlyEndBlocksHoldNoEntries() throws IOException {
        assertThat(new TarReader(new ByteArrayInputStream(new byte[0])).next()).isNull();
        assertThat(new TarReader(new ByteArrayInputStream(new byte[1024])).next()).isNull();
    }
}
