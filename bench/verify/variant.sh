#!/usr/bin/env bash
# Makes a checkout of this repository at HEAD with PATCH applied and committed (bench/verify/variants/*.patch:
# one hand-written piece replaced by the library; its first line is the commit's subject), for `node bench/verify/index.js --against name=DIR`. It runs
# on this checkout's node_modules (no second `npm ci`): its node_modules entries are links to ours, except
# @tollgate/*, which point at DIR's own packages.
#
#   bash bench/verify/variant.sh DIR PATCH
#   git worktree remove --force DIR   # when done
set -euo pipefail
dir=$1
patch=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
root=$(cd "$(dirname "$0")/../.." && pwd)
git -C "$root" worktree add --detach "$dir" HEAD
dir=$(cd "$dir" && pwd)
git -C "$dir" apply "$patch"
git -C "$dir" commit --quiet --all --message "$(head -1 "$patch")"
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
