package lib.tar;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts the bytes read; mark/reset pass through. */
public final class CountingInput extends BufferedInputStream {
    public long count;
    private long marked;

    public CountingInput(InputStream in) {
        super(in, 1 << 16);
    }

    @Override
    public synchronized int read() throws IOException {
        int c = super.read();
        if (c >= 0) count++;
        return c;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) count += n;
        return n;
    }

    @Override
    public synchronized long skip(long n) throws IOException {
        long s = super.skip(n);
        count += s;
        return s;
    }

    @Override
    public synchronized void mark(int limit) {
        super.mark(limit);
        marked = count;
    }

    @Override
    public synchronized void reset() throws IOException {
        super.reset();
        count = marked;
    }
}
