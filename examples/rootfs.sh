#!/bin/sh
# Shared by the example `tar` scripts: a tiny rootfs with busybox from Debian's
# busybox-static in folder $1. A `tar` script never writes logs to stdout.
set -e
d=$1
bb=$(command -v busybox || true)
test -n "$bb" || { echo "ERROR: busybox not found; apt-get install busybox-static" >&2; exit 1; }
if ldd "$bb" >/dev/null 2>&1; then
	echo "ERROR: $bb is not static; apt-get install busybox-static" >&2
	exit 1
fi
chmod 755 "$d"
mkdir -p "$d/bin" "$d/etc" "$d/tmp"
cp "$bb" "$d/bin/busybox"
for c in sh echo cat ls; do ln -sf busybox "$d/bin/$c"; done
echo "root:x:0:0:root:/:/bin/sh" > "$d/etc/passwd"
chmod 1777 "$d/tmp"
