#!/usr/bin/env bash
# Makes a checkout of this repository at HEAD with PATCH applied and committed (bench/verify/variants/*.patch:
# one hand-written piece replaced by the library; its first line is the commit's subject), for `node bench/verify/index.js --against name=DIR`. It runs
# on this checkout's node_modules (no second `npm ci`; see bench/shared/checkout.sh, which makes it).
#
#   bash bench/verify/variant.sh DIR PATCH
#   git worktree remove --force DIR   # when done
set -euo pipefail
patch=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
dir=$(bash "$(dirname "$0")/../shared/checkout.sh" "$1" HEAD)
git -C "$dir" apply "$patch"
git -C "$dir" commit --quiet --all --message "$(head -1 "$patch")"
echo "$dir"
