package lib;

/** The one error type: a message for `ERROR: ...`, the failing tool's own stderr, an exit code. */
public class Fail extends RuntimeException {
    public final String detail;
    public final int status;

    public Fail(String message) {
        this(message, "", 1);
    }

    public Fail(String message, String detail, int status) {
        super(message);
        this.detail = detail == null ? "" : detail;
        this.status = status;
    }

    /** A usage error: exit 2. */
    public static Fail usage(String message) {
        return new Fail(message, "", 2);
    }

    /** Like images.sh's die: ERROR: reason, exit 1. */
    public static Fail die(String message) {
        return new Fail(message);
    }
}
