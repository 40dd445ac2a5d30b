package lib.tar;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** At most `size` bytes of a stream: what follows is not read (a file that grew, the rest of a tar). */
public final class Bounded extends FilterInputStream {
    private long left;

    public Bounded(InputStream in, long size) {
        super(in);
        this.left = size;
    }

    @Override
    public int read() throws IOException {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (left <= 0) return -1;
        int n = super.read(b, off, (int) Math.min(len, left));
        if (n > 0) left -= n;
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        long k = super.skip(Math.max(0, Math.min(n, left)));
        left -= k;
        return k;
    }
}
