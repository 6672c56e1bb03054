#!/usr/bin/env bash
# `bash scripts/deb-tool.sh PACKAGE BINARY`: prints the path of BINARY from Debian's PACKAGE,
# unpacked into ~/.cache/shop/deb (apt-get download, dpkg-deb -x) rather than installed, so that
# no server the package would start as a system service (prometheus, alertmanager) runs on the
# machine. Used for promtool and amtool by check-deploy.sh and the infrastructure suite.
set -euo pipefail
[ $# -eq 2 ] || {
	echo "usage: deb-tool.sh PACKAGE BINARY" >&2
	exit 2
}
dir="${XDG_CACHE_HOME:-$HOME/.cache}/shop/deb/$1"
if [ ! -x "$dir/root/usr/bin/$2" ]; then
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "deb-tool: fetching Debian's $1 for $2" >&2
	update() { if [ "$(id -u)" = 0 ]; then apt-get update -q >&2; else sudo apt-get update -q >&2; fi; }
	(cd "$dir" && { apt-get download -q "$1" >/dev/null 2>&1 || { update && apt-get download -q "$1" >/dev/null 2>&1; }; }) || {
		echo "deb-tool: apt-get download $1 failed" >&2
		exit 1
	}
	dpkg-deb -x "$dir/$1"_*.deb "$dir/root"
	rm -f "$dir"/*.deb
fi
echo "$dir/root/usr/bin/$2"
