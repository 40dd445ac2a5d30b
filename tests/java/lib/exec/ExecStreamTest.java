package lib.exec;

import static org.assertj.core.api.Assertions.*;

import java.io.InputStream;
import lib.Fail;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Exec.stream through zt-exec: a reader far behind a program that has already exited still reads every byte. */
class ExecStreamTest {
    @Test
    void aSlowReaderReadsALargeOutputToItsEnd() {
        long[] n = {0};
        byte[] last = new byte[64];
        int[] lastLen = {0};
        Exec.of(Run.QUIET, "seq", "1", "3000000").stream(in -> { // about 21 MB, written in well under a second
            byte[] b = new byte[1 << 16];
            try {
                Thread.sleep(1500); // the reader starts late: seq waits on the full pipe, nothing is lost
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            for (int k; (k = in.read(b)) > 0; ) {
                n[0] += k;
                int keep = Math.min(k, last.length);
                System.arraycopy(b, k - keep, last, 0, keep);
                lastLen[0] = keep;
            }
        });
        long want = 0;
        for (long i = 1; i <= 3000000; i++) want += Long.toString(i).length() + 1;
        assertThat(n[0]).isEqualTo(want);
        assertThat(new String(last, 0, lastLen[0], StandardCharsets.US_ASCII)).endsWith("\n3000000\n");
    }

    @Test
    void aReaderThatGivesUpStopsTheProgram() {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Exec.of(Run.QUIET, "yes").stream(in -> {
            in.readNBytes(1000);
            throw Fail.die("enough");
        })).hasMessage("enough");
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5000);
    }

    @Test
    void aFailingProgramIsTheError() {
        assertThatThrownBy(() -> Exec.of(Run.QUIET, "sh", "-c", "echo out; echo why >&2; exit 3").stream(InputStream::readAllBytes))
                .isInstanceOf(Fail.class).hasMessage("sh failed [echo out; echo why >&2; exit 3]")
                .satisfies(f -> assertThat(((Fail) f).detail).isEqualTo("why\n"));
    }
}
