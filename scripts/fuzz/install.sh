#!/usr/bin/env bash
# Installs Schemathesis (the API fuzzer `npm run fuzz` drives) into a virtualenv of its own, outside
# the repository, so it needs neither root nor the machine's Python packages. Idempotent: a venv
# that already has the pinned version is left as it is. Prints the path of its `st`.
set -euo pipefail

# Pinned: Schemathesis 4 changes options, checks and report fields between minor versions, and
# scripts/fuzz/report.ts reads its JSON and NDJSON reports and lists its checks; moving to another
# version is a deliberate change, made here and checked there.
VERSION=4.32.5
venv="${XDG_CACHE_HOME:-$HOME/.cache}/shop/schemathesis"
st="$venv/bin/st"

installed() { [ -x "$st" ] && [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" = "$VERSION" ]; }

if ! installed; then
	echo "fuzz/install: installing schemathesis $VERSION into $venv" >&2
	# Schemathesis 4 needs Python >= 3.9; the machines have 3.11.
	# --clear: another version, or a venv whose Python has gone, is replaced rather than patched.
	python3 -m venv --clear "$venv"
	"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
	installed || { echo "fuzz/install: schemathesis $VERSION did not install" >&2; exit 1; }
fi
echo "$st"
