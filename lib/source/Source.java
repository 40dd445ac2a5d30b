package lib.source;

import lib.Fail;
import lib.model.Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * Where images come from: one implementation per medium, all with the same verbs. A source
 * opens its images; an Image lists its layers, base first; a Layer opens its blob. Only the sink
 * (Storage) knows both a source and what it writes.
 * <ul>
 * <li>DaemonSource: the docker daemon, all its references read from one `docker save`;
 * <li>DockerArchive: docker-archive:PATH[:REF], the one reader of what `docker save` writes;
 * <li>OciLayout: oci:DIR[:REF] and oci-archive:PATH[:REF]; a registry, through OciCache;
 * <li>OverlaySource: an overlay image folder, built without docker.
 * </ul>
 */
public interface Source {
    /**
     * The images of this source. tmp is a private folder that lives while the images are read
     * (the daemon spools its `docker save` there).
     */
    List<Image> images(Path tmp);

    /** What to read an item from; a registry image is fetched, an overlay built (in work), here. */
    static Source of(Item item, Path work, boolean tlsVerify) {
        String where = item.text();
        return switch (item.medium()) {
            case DAEMON -> new DaemonSource(List.of(item.ref()));
            case REGISTRY -> OciCache.fetch(item.ref(), tlsVerify);
            case DOCKER_ARCHIVE -> new DockerArchive(Path.of(item.location()), item.ref(), where);
            case OCI -> OciLayout.dir(Path.of(item.location()), item.ref(), where);
            case OCI_ARCHIVE -> OciLayout.archive(Path.of(item.location()), item.ref(), where);
            case OVERLAY -> OverlaySource.build(item, work);
        };
    }

    /**
     * The images of the sources, in order, and the daemon's `docker save` as it streams (null
     * when no image is the daemon's): its images have their configs only with complete().
     */
    record Opened(List<Image> images, DaemonStream daemon) implements AutoCloseable {
        /** The images with their configs: called when every layer has been read. */
        public List<Image> complete() {
            return daemon == null ? images : daemon.complete(images);
        }

        @Override
        public void close() {
            if (daemon != null) daemon.close();
        }
    }

    /** Opens every source, in order; the daemon's references are read with one `docker save`, started first. */
    static Opened open(List<Source> sources, Path tmp) {
        List<String> refs = new ArrayList<>();
        for (Source s : sources) if (s instanceof DaemonSource d) refs.addAll(d.refs());
        DaemonStream stream = refs.isEmpty() ? null : DaemonStream.start(refs, tmp);
        try {
            Map<String, Image> daemon = stream == null ? Map.of() : stream.images();
            List<Image> images = new ArrayList<>();
            for (Source s : sources) {
                if (s instanceof DaemonSource d) d.refs().forEach(r -> images.add(daemon.get(r)));
                else images.addAll(s.images(tmp));
            }
            return new Opened(images, stream);
        } catch (RuntimeException e) {
            if (stream != null) stream.close();
            throw e;
        }
    }

    /** A file a source reads, which must be there. */
    static Path readable(Path p, String where) {
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) throw Fail.die("Not readable [" + where + "]");
        return p;
    }
}
