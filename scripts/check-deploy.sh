#!/usr/bin/env bash
# `npm run check:deploy`: everything about the deployment files that can be checked without a
# Docker engine or a Kubernetes cluster, with the tools themselves:
#   1. docker-compose.yml renders (Debian's docker-compose validates without an engine), and
#      refuses to render without any one of the secrets; the observability profile's Prometheus
#      configuration and alerting rules pass promtool (and the rules their unit tests,
#      observability/*.test.yml), its Alertmanager configuration amtool (Debian's, the versions
#      of the compose stand-ins);
#   2. k8s/ renders with kustomize (pinned, built from the Go module proxy);
#   3. the rendered objects validate against the Kubernetes schemas, strictly (unknown fields
#      fail), offline (kubernetes-validate from PyPI carries the schemas);
#   4. test/deploy/ checks the rendered files against services/ and lib/env.ts;
#   5. the image's stages replayed without Docker: the build context .dockerignore lets through
#      compiles and builds the storefront, and the runtime stage (production dependencies only)
#      starts the image's CMD, turns ready, serves the storefront at / from the image's WEB_DIR
#      and metrics that pass `promtool check metrics`, and exits 0 on SIGTERM; and the payment sandbox's program (compose's and k8s/'s command for
#      it) answers /healthz and exits 0 on SIGTERM; and so does the alert receiver's (compose's
#      command), which takes an Alertmanager notification and lists it.
# Tools are cached in ~/.cache/shop, so later runs take seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=infra/lib.sh
source "$ROOT/scripts/infra/lib.sh"
log() { echo "check-deploy: $*" >&2; }
# The image runs Node 22; so do the replay of its stages and the tests here.
# shellcheck source=use-node22.sh
source "$ROOT/scripts/use-node22.sh"

KUSTOMIZE_VERSION=v5.7.1
KUBERNETES_VALIDATE_VERSION=1.37.0
# The manifests use only stable APIs (apps/v1, autoscaling/v2, networking.k8s.io/v1) and must
# validate on an older cluster still run by managed providers and on the newest the validator knows.
KUBERNETES_VERSIONS=(1.31.0 1.37.0)
KUSTOMIZE="$SHOP_CACHE/bin/kustomize-$KUSTOMIZE_VERSION"
VALIDATE_VENV="$SHOP_CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"

OUT="${DEPLOY_RENDERED:-$ROOT/.deploy-check}"
rm -rf "$OUT"
mkdir -p "$OUT"

# Valid values of the right shape, so the rendered settings can be loaded by lib/env.ts.
export JWT_SECRET=check-deploy-secret-of-at-least-32-bytes ADMIN_PASSWORD=check-deploy-password
export PAYMENTS_PROCESSOR_SECRET_KEY=sk_test_check_deploy PAYMENTS_WEBHOOK_SECRET=whsec_check_deploy
# What lib/env.ts requires outside development (REQUIRED_IN_PRODUCTION): compose must refuse to render without each.
REQUIRED_SECRETS=(JWT_SECRET ADMIN_PASSWORD PAYMENTS_PROCESSOR_SECRET_KEY PAYMENTS_WEBHOOK_SECRET)

log "docker-compose.yml"
command -v docker-compose >/dev/null || apt_install docker-compose
cd "$ROOT"
docker-compose -f docker-compose.yml config >"$OUT/compose.yaml"
docker-compose -f docker-compose.yml --profile observability config >"$OUT/compose-observability.yaml"
for secret in "${REQUIRED_SECRETS[@]}"; do
	if env -u "$secret" docker-compose -f docker-compose.yml config -q 2>/dev/null; then
		die "docker-compose.yml renders without $secret; it must refuse to"
	fi
done

# promtool and amtool, the checkers of the configurations the stand-in images run, from Debian's
# packages unpacked rather than installed (scripts/deb-tool.sh): no service started, no user added.
deb_tool() { bash "$ROOT/scripts/deb-tool.sh" "$@" || die "could not fetch Debian's $1 for $2"; }

log "observability/ with promtool and amtool"
# The configuration and every rule file it names (relative to it, as docker-compose.yml mounts
# them beside it in the container), then the rule files on their own.
promtool="$(deb_tool prometheus promtool)"
"$promtool" check config observability/prometheus.yml >&2
"$promtool" check rules observability/alerts.yml >&2
# The rules' unit tests (observability/*.test.yml), from their folder, where their rule_files are.
for rule_test in observability/*.test.yml; do
	log "promtool test rules $rule_test"
	(cd observability && "$promtool" test rules "$(basename "$rule_test")") >&2 || die "the alerting rules fail $rule_test"
done
"$(deb_tool prometheus-alertmanager amtool)" check-config observability/alertmanager.yml >&2

log "k8s/ with kustomize $KUSTOMIZE_VERSION"
if [ ! -x "$KUSTOMIZE" ]; then
	command -v go >/dev/null || die "building kustomize needs Go"
	log "building kustomize $KUSTOMIZE_VERSION from the Go module proxy (about a minute)"
	gobin="$(mktemp -d)"
	GOBIN="$gobin" GOWORK=off GOFLAGS= GOTOOLCHAIN=local go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
	mkdir -p "$(dirname "$KUSTOMIZE")"
	mv "$gobin/kustomize" "$KUSTOMIZE"
	rm -rf "$gobin"
fi
# The Secret comes from k8s/secret.env, which is never committed: render a copy of k8s/ whose
# secret.env has the template's keys with the values above (the template's own placeholders are
# meant to be refused; test/deploy checks that they are).
# Beside it the observability/ folder, whose rules and Alertmanager routes k8s/monitoring includes.
k8s_tmp="$(mktemp -d)"
trap 'rm -rf "$k8s_tmp"' EXIT
k8s_copy="$k8s_tmp/k8s"
mkdir -p "$k8s_copy"
cp -R "$ROOT/k8s/." "$k8s_copy/"
cp -R "$ROOT/observability" "$k8s_tmp/observability"
rm -f "$k8s_copy/secret.env"
while IFS= read -r line; do
	case "$line" in
	JWT_SECRET=*) echo "JWT_SECRET=$JWT_SECRET" ;;
	ADMIN_PASSWORD=*) echo "ADMIN_PASSWORD=$ADMIN_PASSWORD" ;;
	PAYMENTS_PROCESSOR_SECRET_KEY=*) echo "PAYMENTS_PROCESSOR_SECRET_KEY=$PAYMENTS_PROCESSOR_SECRET_KEY" ;;
	PAYMENTS_WEBHOOK_SECRET=*) echo "PAYMENTS_WEBHOOK_SECRET=$PAYMENTS_WEBHOOK_SECRET" ;;
	*) echo "$line" ;;
	esac
done <"$k8s_copy/secret.env.example" >"$k8s_copy/secret.env"
"$KUSTOMIZE" build "$k8s_copy" >"$OUT/k8s.yaml"

log "Kubernetes ${KUBERNETES_VERSIONS[*]} schemas (kubernetes-validate $KUBERNETES_VALIDATE_VERSION, strict)"
# A venv cannot be moved (its scripts name its path), so it is built in place and counts only
# once the stamp written after a complete install is there.
if [ ! -e "$VALIDATE_VENV/.installed" ]; then
	rm -rf "$VALIDATE_VENV"
	python3 -m venv "$VALIDATE_VENV"
	"$VALIDATE_VENV/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
	touch "$VALIDATE_VENV/.installed"
fi
validate() { "$VALIDATE_VENV/bin/kubernetes-validate" --strict --quiet -k "$1" "$2"; }
for version in "${KUBERNETES_VERSIONS[@]}"; do
	validate "$version" "$OUT/k8s.yaml"
done
# The validator must catch what it is here for: a misspelt field fails it.
sed 's/readinessProbe:/readinesProbe:/' "$OUT/k8s.yaml" >"$k8s_copy/misspelt.yaml"
if validate "${KUBERNETES_VERSIONS[0]}" "$k8s_copy/misspelt.yaml" >/dev/null 2>&1; then
	die "the validator accepted a misspelt field; it is not checking strictly"
fi

log "rendered files against services/ and lib/env.ts"
. "$ROOT/scripts/node-options.sh"
DEPLOY_RENDERED="$OUT" npx jest --selectProjects deploy
log "the image's stages, replayed without Docker"
image="$k8s_copy/image"
mkdir -p "$image/context" "$image/runtime"
# The context: what .dockerignore lets through ("*", then "!" exceptions, then what is taken out
# of those again: the tests, and the outputs the build stage makes itself such as web/dist).
while IFS= read -r line; do
	case "$line" in
	"" | "#"* | "*") ;;
	"!"*)
		entry="${line#!}"
		cp -R "${entry%/}" "$image/context/"
		;;
	"**/"*) find "$image/context" -name "${line#\*\*/}" -exec rm -rf {} + ;;
	*) rm -rf "${image:?}/context/${line%/}" ;;
	esac
done <.dockerignore
[ ! -e "$image/context/web/dist" ] || die ".dockerignore lets a local web/dist into the build context"
(cd "$image/context" && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build && npm run --silent build:web) >"$image/build.log" 2>&1 ||
	{ cat "$image/build.log" >&2; die "the image's build stage failed"; }
cp package.json package-lock.json "$image/runtime/"
(cd "$image/runtime" && npm ci --omit=dev --no-audit --no-fund --loglevel=error) >"$image/deps.log" 2>&1 ||
	{ cat "$image/deps.log" >&2; die "the image's production dependencies did not install"; }
# The runtime directory stands for the image's WORKDIR; its COPY --from=build lines put the
# compiled code and the storefront's build there (test/deploy checks that WEB_DIR names the latter).
cp -R "$image/context/dist" "$image/runtime/dist"
mkdir -p "$image/runtime/web"
cp -R "$image/context/web/dist" "$image/runtime/web/dist"
# The runtime stage's ENV, CMD and WORKDIR, read from the Dockerfile by the code the build just compiled.
mapfile -t image_env < <(node "$image/context/dist/scripts/dockerfile.js" Dockerfile env)
mapfile -t cmd < <(node "$image/context/dist/scripts/dockerfile.js" Dockerfile cmd)
workdir="$(node "$image/context/dist/scripts/dockerfile.js" Dockerfile workdir)"
[ "${#image_env[@]}" -gt 0 ] && [ "${#cmd[@]}" -gt 0 ] || die "could not read the runtime stage's ENV and CMD from the Dockerfile"
# WEB_DIR as the image sets it, with the WORKDIR moved to the runtime directory: a WEB_DIR that
# misses the copied build leaves / unserved, and the check below fails.
web_dir=""
for pair in "${image_env[@]}"; do
	case "$pair" in WEB_DIR=*) web_dir="${pair#WEB_DIR=}" ;; esac
done
case "$web_dir" in
"$workdir"/*) web_dir="$image/runtime/${web_dir#"$workdir"/}" ;;
*) die "the image's WEB_DIR ('$web_dir') is not under its WORKDIR ($workdir)" ;;
esac
# abandon PID LOG MESSAGE: a program that failed its check is killed, its log's end shown, and the run stops.
abandon() {
	kill -9 "$1" 2>/dev/null || true
	tail -n 30 "$2" >&2
	die "$3"
}
# compose_command FILE SERVICE: the command of a service of a rendered compose file, one word a line.
compose_command() {
	node -e 'const y = require("yaml"); const c = y.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(c.services[process.argv[2]].command.join("\n"))' "$1" "$2"
}
# answers_healthz PID PORT: whether the program of PID answers {"ok":true} on the port's /healthz within 30 s.
answers_healthz() {
	local _
	for _ in $(seq 1 60); do
		if curl -fsS --max-time 2 "http://127.0.0.1:$2/healthz" 2>/dev/null | grep -q '"ok":true'; then return 0; fi
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}
# stops_on_sigterm PID LOG WHAT: SIGTERM, after which the program must exit 0 (its log shown if not).
stops_on_sigterm() {
	kill -TERM "$1"
	if ! wait "$1"; then
		tail -n 30 "$2" >&2
		die "$3 did not exit 0 on SIGTERM"
	fi
}
free_port() { node -e 'const s = require("net").createServer().listen(0, () => { console.log(s.address().port); s.close(); })'; }
health_port="$(free_port)"
http_port="$(free_port)"
sandbox_port="$(free_port)"
metrics_port="$(free_port)"
# As `docker run` without SERVICES or MONGO_URI would run it: every service in one process on the
# file store, the payment sandbox in it too; only the ports and the data and web directories are
# moved out of the way.
(
	cd "$image/runtime"
	exec env "${image_env[@]}" PORT="$http_port" HEALTH_PORT="$health_port" METRICS_PORT="$metrics_port" PAYMENT_SANDBOX_PORT="$sandbox_port" DATA_DIR="$image/data" WEB_DIR="$web_dir" "${cmd[@]}"
) >"$image/run.log" 2>&1 &
node_pid=$!
started_at=$SECONDS
ready=""
for _ in $(seq 1 120); do
	if curl -fsS --max-time 2 "http://127.0.0.1:$health_port/readyz" >/dev/null 2>&1; then ready=1; break; fi
	kill -0 "$node_pid" 2>/dev/null || break
	sleep 0.5
done
if [ -z "$ready" ]; then
	abandon "$node_pid" "$image/run.log" "the image's CMD did not become ready on its health port"
fi
ready_after=$((SECONDS - started_at))
# The storefront's page at /, with the root element web/index.html mounts the app on.
root_element="$(grep -o '<div id="[^"]*"' web/index.html | head -n 1)"
[ -n "$root_element" ] || die "web/index.html has no <div id=...> for the app"
if ! curl -fsS --max-time 5 -D "$image/index.headers" -o "$image/index.html" "http://127.0.0.1:$http_port/" ||
	! grep -qi '^content-type: text/html' "$image/index.headers" || ! grep -qF "$root_element" "$image/index.html"; then
	abandon "$node_pid" "$image/run.log" "the image's gateway does not serve the storefront's HTML at / (WEB_DIR=$web_dir)"
fi
# Its /metrics, once a read and an error have made their series, as Prometheus's lint reads it.
curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$http_port/api/products" || true
curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$http_port/api/orders/none" || true
if ! curl -fsS --max-time 5 "http://127.0.0.1:$metrics_port/metrics" >"$image/metrics.txt" || ! "$promtool" check metrics <"$image/metrics.txt" >&2; then
	abandon "$node_pid" "$image/run.log" "the image's /metrics does not pass promtool check metrics"
fi
kill -TERM "$node_pid"
stopping_at=$SECONDS
if ! wait "$node_pid"; then
	tail -n 30 "$image/run.log" >&2
	die "the image's CMD did not exit 0 on SIGTERM"
fi
grep -q '"msg":"ServiceBroker is stopped' "$image/run.log" || die "the image's CMD exited without stopping its broker"
log "the image's CMD: ready after ${ready_after} s, the storefront served at /, stopped gracefully $((SECONDS - stopping_at)) s after SIGTERM"

# The payment sandbox as compose and k8s/ run it: the image's ENV, its own program, its books in a directory of its own.
mapfile -t sandbox_cmd < <(compose_command "$OUT/compose.yaml" payment-sandbox)
[ "${#sandbox_cmd[@]}" -gt 0 ] || die "could not read the payment sandbox's command from docker-compose.yml"
sandbox_port="$(free_port)"
(
	cd "$image/runtime"
	exec env "${image_env[@]}" PAYMENT_SANDBOX_PORT="$sandbox_port" PAYMENT_SANDBOX_DATA_DIR="$image/sandbox-data" "${sandbox_cmd[@]}"
) >"$image/sandbox.log" 2>&1 &
sandbox_pid=$!
if ! answers_healthz "$sandbox_pid" "$sandbox_port"; then
	abandon "$sandbox_pid" "$image/sandbox.log" "the payment sandbox (${sandbox_cmd[*]}) did not answer /healthz with the image's production dependencies"
fi
stops_on_sigterm "$sandbox_pid" "$image/sandbox.log" "the payment sandbox"
grep -q 'payment-sandbox: Stopped' "$image/sandbox.log" || { tail -n 30 "$image/sandbox.log" >&2; die "the payment sandbox exited without stopping cleanly"; }
log "the payment sandbox (${sandbox_cmd[*]}): answered /healthz, stopped gracefully on SIGTERM"

# The alert receiver as compose runs it, on a free port of the loopback (its last --port and --host win).
mapfile -t receiver_cmd < <(compose_command "$OUT/compose-observability.yaml" alert-receiver)
[ "${#receiver_cmd[@]}" -gt 0 ] || die "could not read the alert receiver's command from docker-compose.yml"
receiver_port="$(free_port)"
(
	cd "$image/runtime"
	exec env "${image_env[@]}" "${receiver_cmd[@]}" --port "$receiver_port" --host 127.0.0.1
) >"$image/receiver.log" 2>&1 &
receiver_pid=$!
notification='{"version":"4","status":"firing","receiver":"check","groupKey":"{}","alerts":[{"status":"firing","labels":{"alertname":"CheckDeploy","service":"payments"},"annotations":{},"startsAt":"2025-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]}'
if ! answers_healthz "$receiver_pid" "$receiver_port" ||
	! curl -fsS --max-time 5 -H 'content-type: application/json' --data "$notification" "http://127.0.0.1:$receiver_port/webhook" >/dev/null ||
	! curl -fsS --max-time 5 "http://127.0.0.1:$receiver_port/alerts" | grep -q '"alertname":"CheckDeploy"'; then
	abandon "$receiver_pid" "$image/receiver.log" "the alert receiver (${receiver_cmd[*]}) did not answer /healthz or take a notification with the image's production dependencies"
fi
stops_on_sigterm "$receiver_pid" "$image/receiver.log" "the alert receiver"
grep -q '^CheckDeploy firing service="payments"$' "$image/receiver.log" || { tail -n 30 "$image/receiver.log" >&2; die "the alert receiver did not log the alert"; }
log "the alert receiver (${receiver_cmd[*]}): took a notification, logged and listed it, stopped on SIGTERM"
log "all checks passed"
