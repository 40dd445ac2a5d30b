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

    /** Why TLS failed: a certificate this machine does not trust or made out for another name, or no TLS at all. */
    static String tls(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException || t instanceof java.security.cert.CertPathValidatorException
                    || t instanceof java.security.cert.CertPathBuilderException)
                return "certificate not accepted (" + reason(t) + "); --tls-verify=false skips the check";
        }
        String r = reason(e);
        if (r.contains("Unsupported or unrecognized SSL message") || r.contains("plaintext"))
            return "no TLS there (a plain http registry?); --tls-verify=false allows http";
        return r;
    }
}
