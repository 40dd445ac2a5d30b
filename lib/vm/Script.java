package lib.vm;

/**
 * The boot script the tar installs as VmBoot.SCRIPT: plain busybox sh (the VM has nothing else).
 * Names are never shell code: the paths come NUL-separated from files fed to `xargs -0`, start
 * with `./` (no leading dash), and are under the storage root in folders the writer made; `chown
 * -h` changes a link, never its target; chmod gets regular files only. Owners first, then modes
 * (chown clears setuid/setgid). chown and chmod are named by their path: busybox 1.35's xargs -0 runs
 * an applet named bare in its own process (NOFORK), and there names were spliced together at its
 * buffer's edges (seen: 240 of 50,000 paths); a path makes it exec them. DATA/done is owned by 65534 once owners are right: after a tar
 * that kept owners (GNU tar as root) or after this script ran, it does nothing, since chown by
 * root clears setuid bits and file capabilities even when the owner does not change.
 */
final class Script {
    private Script() {}

    static final String TEXT = """
            #!/bin/sh
            # Written by `images make` (xcluster images tar): busybox `tar -o -xf` left every file of
            # the containers-storage tree owned by root. This restores the owners the images give,
            # then the setuid/setgid modes chown clears, before CRI-O starts (32cri-plugin.rc).
            # Data: NUL-separated paths under the storage root, one list per owner and per mode.
            [ "$1" = start ] || exit 0
            data=/var/lib/containers/images-boot
            [ -d /var/lib/containers/storage ] && cd /var/lib/containers/storage || exit 0
            [ -f "$data/done" ] || exit 0
            [ "$(stat -c %u "$data/done")" = 0 ] || exit 0   # owners are right already
            rc=0
            for f in "$data"/chown-*; do
              [ -f "$f" ] || continue
              id=${f##*/chown-}
              case $id in *[!0-9.]* | .* | *. | *.*.*) continue ;; *.*) ;; *) continue ;; esac
              xargs -0 /bin/chown -h "${id%.*}:${id#*.}" < "$f" || rc=1
            done
            for f in "$data"/chmod-*; do
              [ -f "$f" ] || continue
              mode=${f##*/chmod-}
              case $mode in '' | *[!0-7]*) continue ;; esac
              xargs -0 /bin/chmod "$mode" < "$f" || rc=1
            done
            if [ $rc = 0 ]; then chown 65534:65534 "$data/done"; else echo "images: owners not all restored" >&2; fi
            exit 0
            """;
}
