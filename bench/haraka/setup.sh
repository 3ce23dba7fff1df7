#!/usr/bin/env bash
# Install Haraka (Node.js) for bench/engine.py's Haraka column: npm installs Haraka $VERSION into
# bench/.local/haraka (ignored by git; nothing global). Needs node >= 20 and npm. Idempotent.
#   bash bench/haraka/setup.sh
set -euo pipefail
VERSION=${HARAKA_VERSION:-3.3.4}
HERE=$(cd "$(dirname "$0")" && pwd)
DEST=$HERE/../.local/haraka
command -v node >/dev/null || { echo "node is not installed (apt-get install nodejs npm)" >&2; exit 1; }
mkdir -p "$DEST"
cd "$DEST"
[ -f package.json ] || echo '{"private": true}' > package.json
[ -d node_modules/Haraka ] || npm install --no-audit --no-fund --loglevel=error "Haraka@$VERSION" >/dev/null
echo "haraka $(node -e 'console.log(require("./node_modules/Haraka/package.json").version)') installed in $DEST"
