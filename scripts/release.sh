#!/bin/sh
# Builds the self-contained release tarball gatehouse-VERSION-linux-x64.tar.gz for hosts whose packaged Node is too
# old (Debian 12 ships 18): the pinned Node runtime (the `node` dev dependency), the package as `npm pack` makes it
# (built dist/, deploy/ with the systemd units, docs/, examples/), its production node_modules, and a bin/gatehouse
# wrapper that runs the bundled Node. Offline: dependencies are copied from the installed node_modules.
# Usage: sh scripts/release.sh [--out DIR]   (default DIR: release/)
set -eu
cd "$(dirname "$0")/.."
root="$(pwd)"
out="$root/release"
if [ "${1:-}" = "--out" ]; then out="$2"; fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || { echo "release.sh: builds linux-x64 only" >&2; exit 1; }
[ -x node_modules/node/bin/node ] || { echo "release.sh: run npm ci first (needs the node dev dependency)" >&2; exit 1; }

version="$(node_modules/node/bin/node -p 'require("./package.json").version')"
name="gatehouse-$version-linux-x64"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage="$work/$name"
mkdir -p "$stage/bin" "$stage/node/bin" "$stage/lib"

# The package exactly as npm would publish it (prepack builds dist/).
npm pack --silent --pack-destination "$work" >/dev/null
tar -xzf "$work"/*.tgz -C "$work"
mv "$work/package" "$stage/lib/gatehouse"

# Production dependencies only, copied with their nesting from the installed tree.
npm ls --omit=dev --all --parseable 2>/dev/null | while read -r dep; do
  rel="${dep#"$root"/}"
  case "$rel" in node_modules/*) ;; *) continue ;; esac
  [ -e "$stage/lib/gatehouse/$rel" ] && continue
  mkdir -p "$(dirname "$stage/lib/gatehouse/$rel")"
  cp -RL "$dep" "$stage/lib/gatehouse/$rel"
done

cp node_modules/node/bin/node "$stage/node/bin/node"
cat >"$stage/bin/gatehouse" <<'WRAPPER'
#!/bin/sh
# Runs gatehouse with the Node runtime shipped beside it (the host's Node may be too old).
here="$(dirname "$(readlink -f "$0")")/.."
exec "$here/node/bin/node" "$here/lib/gatehouse/bin/gatehouse.js" "$@"
WRAPPER
chmod 0755 "$stage/bin/gatehouse" "$stage/node/bin/node"

tar -czf "$out/$name.tar.gz" -C "$work" "$name"
echo "$out/$name.tar.gz"
