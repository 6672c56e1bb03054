# Sourced by the npm scripts: the Node options every shop process runs with. The same list is in
# scripts/cluster-lib.ts (for the processes it spawns) and in the Dockerfile.
#
# DEP0174: a dependency of Moleculer promisifies functions that already return promises; harmless.
# --experimental-async-context-frame: Node 22 keeps AsyncLocalStorage, which carries every request's
# ids into its logs and events, on async hooks, which run on every promise made; the frames Node 24
# uses by default carry it for far less (measured: about a fifth more requests per second through
# the gateway). Node versions that do not know the flag go without it.
NODE_OPTIONS="--disable-warning=DEP0174"
if node -e 'process.exit(process.allowedNodeEnvironmentFlags.has("--experimental-async-context-frame") ? 0 : 1)'; then
	NODE_OPTIONS="$NODE_OPTIONS --experimental-async-context-frame"
fi
export NODE_OPTIONS
