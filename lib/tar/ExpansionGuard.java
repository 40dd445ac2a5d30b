package lib.tar;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongSupplier;

/**
 * A decompressed layer stream that, once it has grown far beyond the compressed bytes read
 * (a gzip bomb looks like that), has the blob's digest checked before reading on: a blob that
 * is not what its digest says is refused at once instead of after gigabytes of zeros. A real
 * blob of that shape passes the check (one extra read of its compressed bytes) and reads on.
 */
public final class ExpansionGuard extends FilterInputStream {
    /** Checks the whole compressed blob; throws when its digest is wrong. */
    public interface Check {
        void run() throws IOException;
    }

    static final long MIN_PLAIN = 64L << 20; // below this, reading on costs less than the check
    static final long RATIO = 100; // gzip of real files rarely passes 10:1; zeros reach 1000:1

    private final LongSupplier compressed;
    private final Check check;
    private long plain;
    private boolean checked;

    public ExpansionGuard(InputStream plain, LongSupplier compressedCount, Check check) {
        super(plain);
        this.compressed = compressedCount;
        this.check = check;
    }

    @Override
    public int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) plain += n;
        if (!checked && plain > MIN_PLAIN && plain > RATIO * Math.max(1, compressed.getAsLong())) {
            checked = true;
            check.run();
        }
        return n;
    }
}
