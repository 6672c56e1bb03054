#!/usr/bin/env bash
# Source this to put Node 22 LTS first on PATH. Moleculer 0.15 declares Node >= 22; machines that
# only have an older Node get the official binary from the npm registry's node-linux-<arch>
# package, cached so that later runs start at once.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" != "22" ]; then
	case "$(uname -m)" in
		x86_64) arch=x64 ;;
		aarch64 | arm64) arch=arm64 ;;
		*) echo "use-node22: no Node 22 package for $(uname -m)" >&2; return 1 2>/dev/null || exit 1 ;;
	esac
	cache="${XDG_CACHE_HOME:-$HOME/.cache}/shop/node22"
	bin="$cache/node_modules/node-linux-$arch/bin"
	if [ ! -x "$bin/node" ]; then
		echo "use-node22: installing Node 22 into $cache" >&2
		npm install --silent --no-save --no-package-lock --prefix "$cache" "node-linux-$arch@22" >&2
	fi
	export PATH="$bin:$PATH"
fi
echo "use-node22: $(command -v node) $(node --version)" >&2
