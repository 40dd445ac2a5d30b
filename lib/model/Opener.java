package lib.model;

import java.io.IOException;
import java.io.InputStream;

/** Opens the bytes of a blob, as many times as needed. */
public interface Opener {
    InputStream open() throws IOException;
}
