#!/usr/bin/env bash
# Makes a detached checkout of this repository at COMMIT (default HEAD) in DIR that runs on this checkout's
# node_modules (no second `npm ci`): its node_modules entries are links to ours, except @tollgate/*, which
# point at DIR's own packages. For the benches' `--against NAME=DIR` (bench/verify, bench/latency,
# bench/settle): the code at DIR runs from DIR, e.g. the code before a change, with `COMMIT` its parent.
# The dependencies are this checkout's: a COMMIT whose package-lock.json pins other versions runs on ours.
# Prints DIR's absolute path.
#
#   bash bench/shared/checkout.sh DIR [COMMIT]
#   git worktree remove --force DIR   # when done
set -euo pipefail
dir=$1
commit=${2:-HEAD}
root=$(cd "$(dirname "$0")/../.." && pwd)
git -C "$root" worktree add --quiet --detach "$dir" "$commit" >&2
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
