#!/bin/sh
# Restore a backup after checking every checksum; stop the host first.
# Usage: deploy/scripts/restore.sh FILE [--force]
# Configuration comes from config/*.json and ATOLYE_* variables, as for every atolye command.
set -eu
# No cd: relative FILE arguments are the caller's.
root="$(dirname "$0")/../.."
exec node "$root/bin/atolye.js" restore "$@"
