#!/usr/bin/env bash
# The browser of npm run test:web: Debian's chromium, installed with apt-get when it is missing
# (playwright-core downloads no browser of its own). CHROMIUM_PATH names another binary.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
	exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ]; then
	echo "chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2
	exit 1
fi
echo "chromium: installing Debian's chromium" >&2
sudo_cmd=""
if [ "$(id -u)" != "0" ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium >/dev/null
