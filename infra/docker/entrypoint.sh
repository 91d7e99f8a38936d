#!/bin/sh
# The image's entrypoint: `serve` (the default) runs the process SERVICE names; `migrate` applies that
# service's database migrations once and exits (a Kubernetes Job per release, docs/deploy.md); any
# other command identity ships (`mfa-reseal`, `mfa-reset`) runs its compiled script.
set -eu
home="${GATEHOUSE_HOME:-/app}"
case "${SERVICE:-}" in
  gateway) dir="$home/gateway" ;;
  identity | organization | project | audit | billing | console) dir="$home/services/$SERVICE" ;;
  *)
    echo "set SERVICE to gateway, identity, organization, project, audit, billing or console" >&2
    exit 64
    ;;
esac
command="${1:-serve}"
[ "$#" -gt 0 ] && shift
# A command is a script's name: letters and dashes, never a path.
case "$command" in
  *[!a-z-]* | "")
    echo "commands are serve, migrate, or one of $SERVICE's scripts (letters and dashes)" >&2
    exit 64
    ;;
esac
case "$command" in
  serve) exec node "$dir/dist/src/main.js" "$@" ;;
  migrate) script="$dir/dist/src/migrate.js" ;;
  *) script="$dir/dist/scripts/$command.js" ;;
esac
if [ ! -f "$script" ]; then
  echo "$SERVICE has no '$command' command" >&2
  exit 64
fi
exec node "$script" "$@"
