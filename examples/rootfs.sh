#!/bin/sh
# Shared by the example `tar` scripts: a tiny rootfs with busybox in folder $1.
# busybox must be static (Debian's busybox-static). When it is not installed, the
# package is fetched once with `apt-get download` (no root needed) into a cache.
# A `tar` script never writes logs to stdout.
set -e
d=$1
static() { test -x "$1" && ! ldd "$1" >/dev/null 2>&1; }
bb=$(command -v busybox || true)
if ! static "$bb"; then
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/xcluster-images
	bb=$cache/busybox-static/bin/busybox
	if ! static "$bb"; then
		echo "Fetching busybox-static with apt-get download into $cache" >&2
		mkdir -p "$cache"
		(cd "$cache" && rm -f busybox-static_*.deb && apt-get download busybox-static >&2 &&
			dpkg-deb -x busybox-static_*.deb busybox-static) ||
			{ echo "ERROR: no static busybox; apt-get install busybox-static" >&2; exit 1; }
	fi
fi
chmod 755 "$d"
mkdir -p "$d/bin" "$d/etc" "$d/tmp"
cp "$bb" "$d/bin/busybox"
for c in sh echo cat ls; do ln -sf busybox "$d/bin/$c"; done
echo "root:x:0:0:root:/:/bin/sh" > "$d/etc/passwd"
chmod 1777 "$d/tmp"
