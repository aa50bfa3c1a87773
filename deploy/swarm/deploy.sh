#!/usr/bin/env bash
# Deploys the stack (or updates it: run it again after changing a setting) on the swarm this Docker CLI talks
# to, from a manager node (docs/swarm.md):
#
#   deploy/swarm/deploy.sh [STACK_NAME] [docker stack deploy options]   # default: socketio
#   deploy/swarm/deploy.sh socketio -c my-overrides.yml --quiet           # your own file on top of stack.yml
#
# 1. renders nginx's config with the image's own renderer (the one Compose's nginx-config service runs),
#    from the same settings, for the upstream `replica`;
# 2. creates the secrets that do not exist yet, with random values: STACK_redis_password,
#    STACK_broadcaster_token (printed once, to stderr, when created), STACK_redis_exporter_passwords;
# 3. labels this node for Redis and nginx when no node has those labels (a single-node swarm just works;
#    on several nodes, label them yourself first);
# 4. docker stack deploy, and waits until every service has converged (DEPLOY_TIMEOUT, 300 s).
#
# Environment: IMAGE (default socketio-cluster-reference:local; on several nodes, an image in a registry they
# can pull: deploy with --with-registry-auth), HTTP_PORT (8080), BROADCASTER_PORT (8081), ALLOWED_ORIGINS
# (http://localhost:HTTP_PORT), REPLICAS (3), and the settings of docs/configuration.md that stack.yml passes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then STACK_NAME=$1 && shift; fi
export STACK_NAME=${STACK_NAME:-socketio}
export IMAGE=${IMAGE:-socketio-cluster-reference:local}
export HTTP_PORT=${HTTP_PORT:-8080}
export ALLOWED_ORIGINS=${ALLOWED_ORIGINS:-http://localhost:$HTTP_PORT,http://127.0.0.1:$HTTP_PORT}
log() { echo "deploy: $*" >&2; }

[ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] ||
  { log "this Docker is not a swarm manager (docker swarm init, or run this on a manager)"; exit 1; }
docker image inspect "$IMAGE" >/dev/null 2>&1 || docker pull "$IMAGE" >/dev/null ||
  { log "no image $IMAGE: docker build -t $IMAGE . (or push it to a registry and set IMAGE)"; exit 1; }

# 1. nginx's config, rendered in a container of the image (as the user running this, so the files are ours).
NGINX_CONFIG_DIR=$(mktemp -d)
export NGINX_CONFIG_DIR
trap 'rm -rf "$NGINX_CONFIG_DIR"' EXIT
pass=()
for name in PING_INTERVAL_MS PING_TIMEOUT_MS MAX_HTTP_BUFFER_SIZE NGINX_BALANCE NGINX_WORKER_CONNECTIONS \
  NGINX_HANDSHAKE_RATE NGINX_HANDSHAKE_BURST; do
  [ -z "${!name:-}" ] || pass+=(-e "$name=${!name}")
done
docker run --rm --user "$(id -u):$(id -g)" -v "$NGINX_CONFIG_DIR:/out" "${pass[@]}" \
  -e NGINX_LISTEN=80 -e NGINX_STATUS_LISTEN=8090 -e NGINX_UPSTREAMS=replica:3000 \
  "$IMAGE" node dist/scripts/nginx-config-cli.js --out-dir /out
# Swarm configs cannot change: each deploy names them by their content.
CONFIG_VERSION=$(cat "$NGINX_CONFIG_DIR"/*.conf "$here/nginx-reload-on-dns.sh" \
  "$here/../../observability/prometheus.yml" "$here/../../observability/rules.yml" | sha256sum | cut -c1-12)
export CONFIG_VERSION

# 2. Secrets: created once, never printed again, never in an environment variable.
secret_exists() { docker secret inspect "$1" >/dev/null 2>&1; }
# 24 random bytes as hex (what `openssl rand -hex 24` prints), with coreutils only.
random_hex() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
redis_password=
if ! secret_exists "${STACK_NAME}_redis_password"; then
  redis_password=$(random_hex)
  printf '%s' "$redis_password" | docker secret create "${STACK_NAME}_redis_password" - >/dev/null
  log "created secret ${STACK_NAME}_redis_password"
fi
if ! secret_exists "${STACK_NAME}_redis_exporter_passwords"; then
  [ -n "$redis_password" ] || {
    log "${STACK_NAME}_redis_exporter_passwords is missing but the Redis password exists: create it as"
    log "  printf '{\"redis://redis:6379\":\"%s\"}' PASSWORD | docker secret create ${STACK_NAME}_redis_exporter_passwords -"
    exit 1
  }
  printf '{"redis://redis:6379":"%s"}' "$redis_password" |
    docker secret create "${STACK_NAME}_redis_exporter_passwords" - >/dev/null
fi
if ! secret_exists "${STACK_NAME}_broadcaster_token"; then
  token=$(random_hex)
  printf '%s' "$token" | docker secret create "${STACK_NAME}_broadcaster_token" - >/dev/null
  log "created secret ${STACK_NAME}_broadcaster_token: $token (shown once; POST /broadcast wants it)"
fi

# 3. Placement labels, on this node when no node has them yet.
for label in socketio.redis socketio.edge; do
  if ! docker node ls -q | xargs docker node inspect --format '{{index .Spec.Labels "'"$label"'"}}' | grep -qx true; then
    docker node update --label-add "$label=true" "$(docker info --format '{{.Swarm.NodeID}}')" >/dev/null
    log "labelled this node $label=true"
  fi
done

# 4. Deploy, then wait until every service runs all its tasks, healthy (a task with a healthcheck counts as
# running only once it passes). Not `--detach=false`: it gives up (exit 2) when a task fails while the stack
# starts, which is how a stack without depends_on starts (the nginx exporter before nginx, say).
docker stack deploy --detach=true --prune -c "$here/stack.yml" "$@" "$STACK_NAME"
timeout=${DEPLOY_TIMEOUT:-300}
deadline=$((SECONDS + timeout))
while :; do
  pending=$(docker stack services --format '{{.Name}} {{.Replicas}}' "$STACK_NAME" |
    awk '{ split($2, n, "/"); if (n[1] != n[2] || n[2] == 0) print $1 " " $2 }')
  [ -n "$pending" ] || break
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "not converged after ${timeout}s (see docker service ps --no-trunc SERVICE):"
    echo "$pending" >&2
    exit 1
  fi
  sleep 2
done
log "stack $STACK_NAME: every service converged"
