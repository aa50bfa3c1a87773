#!/bin/sh
# Reloads nginx when the addresses behind its upstream names change: nginx before 1.27.3 resolves them only
# when it loads its configuration (no `resolve` on upstream servers), and on Swarm a task that is added,
# replaced (rolling update) or rescheduled comes with a new address. A reload keeps open connections: old
# workers finish what they hold, new ones balance over the new list.
#
# The official nginx image's entrypoint runs this (mounted executable in /docker-entrypoint.d) before it
# starts nginx; it waits until the names resolve, leaves a loop behind and returns. Settings, from the environment:
#   NGINX_RELOAD_ON_DNS           names to watch, space-separated (e.g. "replica"); unset: do nothing
#   NGINX_RELOAD_ON_DNS_INTERVAL  seconds between lookups (default 2)
set -eu
names=${NGINX_RELOAD_ON_DNS:-}
interval=${NGINX_RELOAD_ON_DNS_INTERVAL:-2}
[ -n "$names" ] || exit 0

addresses() {
  for name in $names; do getent ahostsv4 "$name" | awk '{ print $1 }'; done | sort -u | tr '\n' ' '
}

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) reload-on-dns: $*" >&2; }

# Swarm has no depends_on: when the stack starts, nginx may come up before any replica has an address, and
# nginx refuses to start on an upstream name that does not resolve. Wait for one (60 s at most; after that
# nginx tries, fails, and Swarm restarts the task, which waits again).
waited=0
while [ -z "$(addresses)" ] && [ "$waited" -lt 60 ]; do
  [ "$waited" -gt 0 ] || log "waiting for $names to resolve"
  sleep 1
  waited=$((waited + 1))
done

(
  set +e
  # What nginx resolved at start (it starts right after this script; a change in between is seen next round).
  last=$(addresses)
  log "watching $names every ${interval}s: $last"
  while sleep "$interval"; do
    now=$(addresses)
    # No address at all (every replica gone, DNS down): a reload would fail on "host not found", so keep
    # serving with what nginx has.
    [ -n "$now" ] || continue
    [ "$now" = "$last" ] && continue
    if nginx -s reload 2>/dev/null; then
      log "reloaded: $last-> $now"
      last=$now
    fi
  done
) </dev/null &
