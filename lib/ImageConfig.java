package lib;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.*;

/** What an image runs: the `config` part of an image config, as docker build or docker import sets it. */
public record ImageConfig(List<String> entrypoint, List<String> cmd, List<String> env, String workdir, String user,
        Map<String, String> labels, Set<String> ports) {
    public static ImageConfig empty() {
        return new ImageConfig(null, null, List.of(), "", "", Map.of(), Set.of());
    }

    public ImageConfig withCmd(List<String> c) {
        return new ImageConfig(entrypoint, List.copyOf(c), env, workdir, user, labels, ports);
    }

    /** docker build: ENTRYPOINT resets CMD. */
    public ImageConfig withEntrypoint(List<String> e) {
        return new ImageConfig(List.copyOf(e), null, env, workdir, user, labels, ports);
    }

    /** KEY=VALUE; a later value of KEY replaces the earlier one in place. */
    public ImageConfig withEnv(String kv) {
        String key = kv.substring(0, kv.indexOf('=') + 1);
        List<String> e = new ArrayList<>(env);
        int i = 0;
        while (i < e.size() && !e.get(i).startsWith(key)) i++;
        if (i < e.size()) e.set(i, kv);
        else e.add(kv);
        return new ImageConfig(entrypoint, cmd, List.copyOf(e), workdir, user, labels, ports);
    }

    public ImageConfig withWorkdir(String w) {
        String dir = w.startsWith("/") || workdir.isEmpty() ? w : workdir + "/" + w;
        return new ImageConfig(entrypoint, cmd, env, dir.startsWith("/") ? dir : "/" + dir, user, labels, ports);
    }

    public ImageConfig withUser(String u) {
        return new ImageConfig(entrypoint, cmd, env, workdir, u, labels, ports);
    }

    public ImageConfig withLabels(Map<String, String> more) {
        Map<String, String> l = new TreeMap<>(labels);
        l.putAll(more);
        return new ImageConfig(entrypoint, cmd, env, workdir, user, Collections.unmodifiableMap(l), ports);
    }

    public ImageConfig withPort(String p) {
        Set<String> s = new TreeSet<>(ports);
        s.add(p);
        return new ImageConfig(entrypoint, cmd, env, workdir, user, labels, Collections.unmodifiableSet(s));
    }

    /** The JSON object under "config", with docker's field names; unset fields left out. */
    public ObjectNode toJson(ObjectMapper json) {
        ObjectNode c = json.createObjectNode();
        if (!user.isEmpty()) c.put("User", user);
        if (!ports.isEmpty()) {
            ObjectNode p = c.putObject("ExposedPorts");
            ports.forEach(x -> p.putObject(x));
        }
        if (!env.isEmpty()) strings(c.putArray("Env"), env);
        if (entrypoint != null) strings(c.putArray("Entrypoint"), entrypoint);
        if (cmd != null) strings(c.putArray("Cmd"), cmd);
        if (!workdir.isEmpty()) c.put("WorkingDir", workdir);
        if (!labels.isEmpty()) {
            ObjectNode l = c.putObject("Labels");
            labels.forEach(l::put);
        }
        return c;
    }

    private static void strings(ArrayNode a, List<String> l) {
        l.forEach(a::add);
    }
}
