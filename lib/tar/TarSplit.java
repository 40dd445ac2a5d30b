package lib.tar;

import lib.model.GoJson;
import lib.model.GoPath;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The overlay-layers/ID.tar-split.gz record of one layer, as github.com/vbatts/tar-split packs it:
 * gzipped JSON lines, a "segment" (type 2) with the raw non-body bytes before each entry and at
 * the end, and a "file" (type 1) per entry with its name, size and the CRC-64 (ISO) of its body.
 * With it, containers/storage rebuilds the exact layer tar from the diff folder.
 */
public final class TarSplit {
    private final ByteArrayOutputStream gz = new ByteArrayOutputStream();
    private final OutputStream json;
    private final Set<String> seen = new HashSet<>();
    private final StringBuilder line = new StringBuilder(1024);
    private int position;

    public TarSplit() {
        try {
            json = new GZIPOutputStream(gz, 65536) {
                {
                    def.setLevel(Deflater.BEST_SPEED);
                }
            };
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Raw bytes between bodies: headers, padding, the end of the archive. */
    public void segment(byte[] raw) throws IOException {
        line.setLength(0);
        line.append("{\"type\":2,\"payload\":\"").append(Base64.getEncoder().encodeToString(raw));
        line.append("\",\"position\":").append(position++).append("}\n");
        emit();
    }

    /** An entry; crc is null when the size is 0 (no body was read). */
    public void file(String rawName, long size, byte[] crc) throws IOException {
        if (!seen.add(GoPath.clean(rawName))) throw new IOException("duplicate entry [" + rawName + "]");
        line.setLength(0);
        line.append("{\"type\":1,");
        String utf8 = utf8(rawName);
        if (utf8 != null) GoJson.field(line, "name", utf8).append(',');
        else line.append("\"name_raw\":\"").append(base64(rawName)).append("\",");
        if (size != 0) line.append("\"size\":").append(size).append(',');
        line.append("\"payload\":");
        if (crc == null) line.append("null");
        else line.append('"').append(Base64.getEncoder().encodeToString(crc)).append('"');
        line.append(",\"position\":").append(position++).append("}\n");
        emit();
    }

    /** The finished .tar-split.gz bytes. */
    public byte[] finish() throws IOException {
        json.close();
        return gz.toByteArray();
    }

    private void emit() throws IOException {
        json.write(line.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String base64(String latin1) {
        return Base64.getEncoder().encodeToString(latin1.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The name as text when its bytes are valid UTF-8 (tar-split's "name"), else null ("name_raw"). */
    public static String utf8(String latin1) {
        boolean ascii = true;
        for (int i = 0; i < latin1.length() && ascii; i++) ascii = latin1.charAt(i) < 0x80;
        if (ascii) return latin1;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(latin1.getBytes(StandardCharsets.ISO_8859_1))).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** CRC-64 with the ISO polynomial, as Go's hash/crc64 computes it (slicing by 8, one flat table). */
    public static final class Crc64 {
        private static final long[] T = tables();
        private long crc = ~0L;

        public void update(byte[] b, int off, int len) {
            final long[] t = T;
            long c = crc;
            for (; len >= 8; off += 8, len -= 8) {
                c ^= (b[off] & 0xffL) | (b[off + 1] & 0xffL) << 8 | (b[off + 2] & 0xffL) << 16 | (b[off + 3] & 0xffL) << 24
                        | (b[off + 4] & 0xffL) << 32 | (b[off + 5] & 0xffL) << 40 | (b[off + 6] & 0xffL) << 48 | (b[off + 7] & 0xffL) << 56;
                c = t[1792 + (int) (c & 0xff)] ^ t[1536 + (int) (c >>> 8 & 0xff)] ^ t[1280 + (int) (c >>> 16 & 0xff)]
                        ^ t[1024 + (int) (c >>> 24 & 0xff)] ^ t[768 + (int) (c >>> 32 & 0xff)] ^ t[512 + (int) (c >>> 40 & 0xff)]
                        ^ t[256 + (int) (c >>> 48 & 0xff)] ^ t[(int) (c >>> 56)];
            }
            crc = len == 0 ? c : tail(c, b, off, len);
        }

        /** The last bytes, one at a time; apart so that the JIT keeps the loop above compiled. */
        private static long tail(long c, byte[] b, int off, int len) {
            for (int i = 0; i < len; i++) c = T[(int) ((c ^ b[off + i]) & 0xff)] ^ (c >>> 8);
            return c;
        }

        /** Big-endian, as Go's Sum(nil). */
        public byte[] sum() {
            return ByteBuffer.allocate(8).putLong(~crc).array();
        }

        /** t[k*256 + i]: the CRC of byte i followed by k zero bytes. */
        private static long[] tables() {
            long poly = 0xD800000000000000L;
            long[] t = new long[8 * 256];
            for (int i = 0; i < 256; i++) {
                long c = i;
                for (int j = 0; j < 8; j++) c = (c & 1) == 1 ? (c >>> 1) ^ poly : c >>> 1;
                t[i] = c;
            }
            for (int i = 0; i < 256; i++) {
                long c = t[i];
                for (int k = 1; k < 8; k++) {
                    c = t[(int) (c & 0xff)] ^ (c >>> 8);
                    t[k * 256 + i] = c;
                }
            }
            return t;
        }
    }
}
