#!/usr/bin/env bash
# Makes a checkout of this repository at REV in DIR that runs on this checkout's node_modules (no second
# `npm ci`), for `node bench/verify/index.js --against name=DIR`: a git worktree whose node_modules entries
# are links to ours, except @tollgate/*, which point at DIR's own packages.
#
#   bash bench/verify/variant.sh DIR REV
#   git worktree remove --force DIR   # when done
set -euo pipefail
dir=$1
rev=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
git -C "$root" worktree add --detach "$dir" "$rev"
dir=$(cd "$dir" && pwd)
mkdir "$dir/node_modules"
for entry in "$root"/node_modules/* "$root"/node_modules/.bin; do
  name=$(basename "$entry")
  [ "$name" = "@tollgate" ] && continue
  ln -s "$entry" "$dir/node_modules/$name"
done
# The workspace links are relative (../../packages/evm): copied as they are, they point into DIR.
cp -P -r "$root/node_modules/@tollgate" "$dir/node_modules/@tollgate"
for nested in "$root"/packages/*/node_modules "$root"/apps/*/node_modules; do
  relative=${nested#"$root"/}
  [ -d "$dir/$(dirname "$relative")" ] && ln -s "$nested" "$dir/$relative"
done
echo "$dir"
