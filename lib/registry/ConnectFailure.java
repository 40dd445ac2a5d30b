package lib.registry;

import java.net.ConnectException;

/** Why a connection failed, in words: Java's HttpClient often throws a ConnectException without a message. */
final class ConnectFailure {
    private ConnectFailure() {}

    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.channels.UnresolvedAddressException || t instanceof java.net.UnknownHostException)
                return "unknown host (is the name right?)";
            if (t.getMessage() != null && !t.getMessage().isBlank()) return t.getMessage();
        }
        return e instanceof ConnectException ? "can't connect (is it running, on that port?)" : "connection failed";
    }
}
