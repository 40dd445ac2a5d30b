package lib.source;

import lib.exec.Run;
import lib.model.Digest;
import lib.model.Image;
import lib.model.Platform;
import java.nio.file.Path;
import java.util.*;

/**
 * The sources of make's items: one Source per item (of), then all of them opened together
 * (open), the docker daemon's references read with one `docker save`. Apart from the Source
 * interface, so that the media need not know one another.
 */
public final class Sources {
    private Sources() {}

    /**
     * What to read an item from; a registry image is fetched, an overlay built (in work), here.
     * An index gives its manifest for platform (make --platform, else Platform.host()).
     */
    public static Source of(Run run, Platform platform, Item item, Path work, boolean tlsVerify) {
        String where = item.text();
        return switch (item.medium()) {
            case DAEMON -> new DaemonSource(run, List.of(item.ref()));
            case REGISTRY -> OciCache.fetch(run, platform, item.ref(), tlsVerify);
            case DOCKER_ARCHIVE -> new DockerArchive(Path.of(item.location()), item.ref(), where, platform);
            case OCI -> OciLayout.dir(platform, Path.of(item.location()), item.ref(), where);
            case OCI_ARCHIVE -> OciLayout.archive(platform, Path.of(item.location()), item.ref(), where);
            case OVERLAY -> OverlaySource.build(run, item, work);
        };
    }

    /**
     * The images of the sources, in order, and the daemon's `docker save` as it streams (null
     * when no image is the daemon's): its images have their configs only with complete().
     */
    public record Opened(List<Image> images, DaemonStream daemon, lib.cache.Cache cache) implements AutoCloseable {
        /** The images with their configs: called when every layer has been read (the daemon's configs are kept in the cache). */
        public List<Image> complete() {
            if (daemon == null) return images;
            List<Image> all = daemon.complete(images);
            for (Image i : all) if (i.where().startsWith("docker-daemon:")) cache.putConfig(i.config());
            return all;
        }

        @Override
        public void close() {
            if (daemon != null) daemon.close();
        }
    }

    /** Opens every source, in order; the daemon's references are read with one `docker save`, started first. */
    public static Opened open(Run run, List<Source> sources, Path tmp) {
        return open(run, sources, tmp, lib.cache.Cache.NONE, images -> chain -> false);
    }

    /**
     * Opens every source, in order. `plan` gets the images before the daemon is read and says which
     * layers (by their chain of diff IDs) will not be read: the daemon's images whose layers all are
     * and whose config the cache holds are not saved; the others are read with one `docker save`.
     */
    public static Opened open(Run run, List<Source> sources, Path tmp, lib.cache.Cache cache,
                       java.util.function.Function<List<Image>, java.util.function.Predicate<List<Digest>>> plan) {
        List<String> refs = new ArrayList<>();
        for (Source s : sources) if (s instanceof DaemonSource d) refs.addAll(d.refs());
        DaemonStream stream = refs.isEmpty() ? null : DaemonStream.planned(run, refs, tmp);
        try {
            Map<String, Image> daemon = stream == null ? Map.of() : stream.images();
            List<Image> images = new ArrayList<>();
            for (Source s : sources) {
                if (s instanceof DaemonSource d) d.refs().forEach(r -> images.add(daemon.get(r)));
                else images.addAll(s.images(tmp));
            }
            java.util.function.Predicate<List<Digest>> cached = plan.apply(images);
            if (stream == null) return new Opened(images, null, cache);
            Set<String> save = new LinkedHashSet<>();
            for (int i = 0; i < images.size(); i++) {
                Image img = images.get(i);
                if (img.config() != null) continue;
                String ref = img.where().substring("docker-daemon:".length());
                Image done = stream.fromCache(ref, img, cache, cached);
                if (done != null) images.set(i, done);
                else save.add(ref);
            }
            if (save.isEmpty()) return new Opened(images, null, cache);
            stream.start(save, cached);
            return new Opened(images, stream, cache);
        } catch (RuntimeException e) {
            if (stream != null) stream.close();
            throw e;
        }
    }
}
