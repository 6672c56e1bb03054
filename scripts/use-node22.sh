#!/usr/bin/env bash
# Source this to put Node 22 LTS first on PATH. Moleculer 0.15 declares Node >= 22; machines that
# only have an older Node get the official binary from the npm registry's node-linux-<arch>
# package, cached so that later runs start at once. The local Node image (scripts/docker/images.sh)
# is built from the same package, through node22_package.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# node22_package: the directory of the cached node-linux-<arch>@22 package, installed if missing.
node22_package() {
	local arch cache
	case "$(uname -m)" in
		x86_64) arch=x64 ;;
		aarch64 | arm64) arch=arm64 ;;
		*) echo "use-node22: no Node 22 package for $(uname -m)" >&2; return 1 ;;
	esac
	cache="${XDG_CACHE_HOME:-$HOME/.cache}/shop/node22"
	if [ ! -x "$cache/node_modules/node-linux-$arch/bin/node" ]; then
		echo "use-node22: installing Node 22 into $cache" >&2
		npm install --silent --no-save --no-package-lock --prefix "$cache" "node-linux-$arch@22" >&2 || return 1
	fi
	echo "$cache/node_modules/node-linux-$arch"
}

if [ "$(node_major)" != "22" ]; then
	node22_dir="$(node22_package)" || return 1 2>/dev/null || exit 1
	export PATH="$node22_dir/bin:$PATH"
fi
echo "use-node22: $(command -v node) $(node --version)" >&2
