#!/usr/bin/env bash
# Starts a local Skiff PostgreSQL topology (primary + streaming replicas + shard primaries) and keeps
# it running until Ctrl-C / SIGTERM, which stops every server and removes its directory.
#
# Usage: infra/scripts/topology.sh [--dir D] [--base-port N] [--json FILE] [--replicas N]
#                                  [--shards N] [--pgbench-scale N] [--keep-dir]
# Relative paths are taken from the caller's directory. Set SKIFF_SKIP_ENSURE=1 to skip the
# dependency check (npm packages, postgres binaries).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if [[ "${SKIFF_SKIP_ENSURE:-}" != 1 ]]; then
  node "$root/infra/scripts/ensure.mjs"
fi

# `--import tsx` resolves from the current directory; resolve it from the repo instead so the
# script works from anywhere without changing the meaning of relative --dir/--json paths.
tsx_loader="$(cd "$root" && node --input-type=module -e "console.log(import.meta.resolve('tsx'))")"

# exec: signals go straight to node, whose handlers stop the servers.
exec node --import "$tsx_loader" "$root/infra/src/topology-cli.ts" "$@"
