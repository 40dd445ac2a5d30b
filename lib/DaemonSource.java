package lib;

import java.nio.file.Path;
import java.util.*;

/**
 * Images of the docker daemon (DOCKER_HOST), pulled when missing. All references of a make are
 * read from one `docker save`, streamed (DockerSave): each layer is written into the store
 * while docker goes on with the next; each reference is matched to its image by image id.
 */
record DaemonSource(List<String> refs) implements Source {
    @Override
    public List<Image> images(Path tmp) {
        Map<String, Image> saved = save(refs, tmp);
        List<Image> out = new ArrayList<>();
        for (String ref : refs) out.add(saved.get(ref));
        return out;
    }

    /** Pulls what is missing, then one `docker save` of all refs, read as it streams (DockerSave). */
    static Map<String, Image> save(List<String> refs, Path tmp) {
        return DockerSave.start(refs, tmp).images(ids(refs));
    }

    /** The image id of each ref: one `docker image inspect` when the daemon has them all, else pull what is missing. */
    private static Map<String, String> ids(List<String> refs) {
        List<String> argv = new ArrayList<>(List.of("image", "inspect", "--format", "{{.Id}}"));
        for (String ref : refs) {
            ImageRef.versioned(ref); // "Image must have a version", as images.sh says
            argv.add(ref);
        }
        Map<String, String> ids = new LinkedHashMap<>();
        try {
            List<String> lines = Docker.docker(argv.toArray(String[]::new)).read().lines().toList();
            if (lines.size() == refs.size()) {
                for (int i = 0; i < refs.size(); i++) ids.put(refs.get(i), lines.get(i).trim());
                return ids;
            }
        } catch (Fail missing) {
            // some image is not in the daemon: pull it below
        }
        for (String ref : refs) {
            Docker.pull(ref);
            ids.put(ref, Docker.id(ref));
        }
        return ids;
    }

    @Override
    public String toString() {
        return "docker-daemon:" + String.join(",", refs);
    }
}
