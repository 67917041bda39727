#!/usr/bin/env bash
# Lists, builds or publishes only the component images that changed since a git ref.
#
#   build-support/changed-images.sh list    BASE_REF   # print the affected docker_image targets
#   build-support/changed-images.sh package BASE_REF   # build them
#   build-support/changed-images.sh publish BASE_REF   # build and push them
#
# Pants' dependency graph decides: a file change selects every image that depends on it,
# directly or transitively (a component's code, a shared lib module it imports, the lockfile).
# Docs and other files no image depends on select nothing. Uncommitted changes count too.
set -euo pipefail

usage() { echo "usage: $0 list|package|publish BASE_REF" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
goal=$1 base=$2
case "$goal" in list|package|publish) ;; *) usage ;; esac
cd "$(dirname "$0")/.."
git rev-parse --verify --quiet "$base^{commit}" >/dev/null \
  || { echo "changed-images: error: '$base' is not a git commit in $(pwd)" >&2; exit 2; }

mapfile -t images < <(./pants --changed-since="$base" --changed-dependents=transitive \
  --filter-target-type=docker_image list)
if [[ $goal == list ]]; then
  [[ ${#images[@]} -eq 0 ]] || printf "%s\n" "${images[@]}"
  exit 0
fi
if [[ ${#images[@]} -eq 0 ]]; then
  echo "changed-images: no image is affected by changes since $base" >&2
  exit 0
fi
echo "changed-images: ${#images[@]} image(s) affected since $base: ${images[*]}" >&2
exec ./pants "$goal" "${images[@]}"
