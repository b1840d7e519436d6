#!/bin/sh
# Prune old threads, checkpoints and workspaces; vacuum the stores; report log size.
# Dry run unless --apply. Usage: deploy/scripts/maintenance.sh [--older-than DAYS] [--apply] [--json]
# Configuration comes from config/*.json and ATOLYE_* variables, as for every atolye command.
set -eu
# No cd: relative FILE arguments are the caller's.
root="$(dirname "$0")/../.."
exec node "$root/bin/atolye.js" maintenance "$@"
