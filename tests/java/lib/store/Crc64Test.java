package lib.store;

import lib.tar.TarSplit;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * TarSplit.Crc64 is Go's hash/crc64 with the ISO table (what tar-split stores per file):
 * known answers, and equal to a plain bit-by-bit reference for every length and offset.
 */
class Crc64Test {
    /** CRC-64/GO-ISO one bit at a time: reflected polynomial 0xD8..., all ones in and out. */
    static long reference(byte[] b, int off, int len) {
        long crc = ~0L;
        for (int i = off; i < off + len; i++) {
            crc ^= b[i] & 0xff;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0xD800000000000000L : crc >>> 1;
        }
        return ~crc;
    }

    static long crc(byte[] b, int off, int len) {
        TarSplit.Crc64 c = new TarSplit.Crc64();
        c.update(b, off, len);
        return ByteBuffer.wrap(c.sum()).getLong();
    }

    @ParameterizedTest(name = "crc64({0}) = {1}")
    @CsvSource({
            "123456789, b90956c775a41001", // the check value of CRC-64/GO-ISO
            "'', 0000000000000000",
    })
    void knownAnswers(String input, String hex) {
        byte[] b = input.getBytes(StandardCharsets.US_ASCII);
        assertThat(HexFormat.of().formatHex(sumOf(b))).isEqualTo(hex);
        assertThat(reference(b, 0, b.length)).isEqualTo(HexFormat.fromHexDigitsToLong(hex));
    }

    static byte[] sumOf(byte[] b) {
        TarSplit.Crc64 c = new TarSplit.Crc64();
        c.update(b, 0, b.length);
        return c.sum();
    }

    @Test
    void sumIsBigEndianAsGoSumNil() {
        assertThat(sumOf("123456789".getBytes(StandardCharsets.US_ASCII)))
                .containsExactly(0xb9, 0x09, 0x56, 0xc7, 0x75, 0xa4, 0x10, 0x01);
    }

    @Test
    void everyLengthAndOffsetEqualsTheBitwiseReference() {
        byte[] data = new byte[300];
        new Random(42).nextBytes(data);
        for (int off = 0; off < 9; off++)
            for (int len = 0; off + len <= data.length; len++)
                assertThat(crc(data, off, len)).as("offset %d length %d", off, len).isEqualTo(reference(data, off, len));
    }

    @Test
    void updatesInPiecesEqualOneUpdate() {
        byte[] data = new byte[10_000];
        new Random(7).nextBytes(data);
        TarSplit.Crc64 c = new TarSplit.Crc64();
        int[] pieces = {1, 7, 8, 9, 1000, 3, 4096};
        int off = 0;
        for (int i = 0; off < data.length; i++) {
            int n = Math.min(pieces[i % pieces.length], data.length - off);
            c.update(data, off, n);
            off += n;
        }
        assertThat(ByteBuffer.wrap(c.sum()).getLong()).isEqualTo(reference(data, 0, data.length));
    }
}
