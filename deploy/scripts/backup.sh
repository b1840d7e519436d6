#!/bin/sh
# Online backup of the stores, workspaces, bundles, configuration without secrets and recent logs.
# Usage: deploy/scripts/backup.sh [--out FILE] [--log-days N] [--json]
# Configuration comes from config/*.json and ATOLYE_* variables, as for every atolye command.
set -eu
# No cd: relative FILE arguments are the caller's.
root="$(dirname "$0")/../.."
exec node "$root/bin/atolye.js" backup "$@"
