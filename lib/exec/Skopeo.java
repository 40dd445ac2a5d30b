package lib.exec;

import java.util.*;

/** skopeo, with the policy on its command line (no /etc/containers set-up) and DOCKER_HOST passed on. */
public final class Skopeo {
    private Skopeo() {}

    public static String bin() {
        String s = System.getenv("SKOPEO");
        return s != null && !s.isBlank() ? s : "skopeo";
    }

    /** skopeo --insecure-policy ARGS... */
    public static Exec skopeo(Run run, String... args) {
        List<String> argv = new ArrayList<>(List.of(bin(), "--insecure-policy"));
        argv.addAll(Arrays.asList(args));
        return Exec.of(run, argv);
    }

    /** skopeo copy from the docker daemon; skopeo does not read DOCKER_HOST itself. */
    public static Exec copyFromDaemon(Run run, String image, String dest, String... opts) {
        List<String> argv = new ArrayList<>(List.of("copy"));
        String host = System.getenv("DOCKER_HOST");
        if (host != null && !host.isBlank()) argv.addAll(List.of("--src-daemon-host", host));
        argv.addAll(Arrays.asList(opts));
        argv.add("docker-daemon:" + image);
        argv.add(dest);
        return skopeo(run, argv.toArray(String[]::new));
    }
}
