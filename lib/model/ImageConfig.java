package lib.model;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
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

    /** Writes the JSON object under "config", with docker's field names; unset fields left out. */
    public void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        if (!user.isEmpty()) g.writeStringField("User", user);
        if (!ports.isEmpty()) {
            g.writeObjectFieldStart("ExposedPorts");
            for (String p : ports) {
                g.writeObjectFieldStart(p);
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        if (!env.isEmpty()) JsonWriter.strings(g, "Env", env);
        if (entrypoint != null) JsonWriter.strings(g, "Entrypoint", entrypoint);
        if (cmd != null) JsonWriter.strings(g, "Cmd", cmd);
        if (!workdir.isEmpty()) g.writeStringField("WorkingDir", workdir);
        if (!labels.isEmpty()) {
            g.writeObjectFieldStart("Labels");
            for (Map.Entry<String, String> l : labels.entrySet()) g.writeStringField(l.getKey(), l.getValue());
            g.writeEndObject();
        }
        g.writeEndObject();
    }
}
