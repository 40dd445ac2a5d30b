package lib.model;

/**
 * A layer as its source offers it: the diff ID (from the image config), the blob's digest and
 * size as the manifest says (size -1: not known; a docker-archive names its layers by diff ID),
 * how to open the blob, and where it is, for messages.
 */
public record Layer(Digest diffId, Digest digest, long size, Opener opener, String where) {}
