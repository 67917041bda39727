#!/usr/bin/env bash
# Checks that the base image (images/base) holds every third-party requirement the components need.
#
# Component images add only first-party code to the base, so a requirement that a component's code
# (or a shared lib module it imports) needs but the base lacks would fail at run time, in the image.
# The base lists its requirements by hand, on purpose (see images/base/BUILD): this closes the gap.
# Requirements in the base that no component needs are reported too: they only cost bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

# Type stubs (types-*) are for mypy only and never imported at run time.
requirements() { grep -E '^3rdparty/python:reqs#' | grep -v '#types-' | sort -u; }
mapfile -t components < <(./pants --filter-target-type=docker_image list components:: | sed 's/:image$/:lib/')
[[ ${#components[@]} -gt 0 ]] || { echo "check-base-requirements: no component images found" >&2; exit 1; }
needed=$(./pants dependencies --transitive "${components[@]}" | requirements)
in_base=$(./pants dependencies images/base:requirements | requirements)

mapfile -t missing < <(comm -23 <(echo "$needed") <(echo "$in_base"))
mapfile -t unused < <(comm -13 <(echo "$needed") <(echo "$in_base"))
if [[ ${#unused[@]} -gt 0 ]]; then
  echo "check-base-requirements: in images/base but needed by no component (they only add bytes):" >&2
  printf '  %s\n' "${unused[@]}" >&2
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "check-base-requirements: error: components need requirements that images/base/BUILD does not list:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "Add them to the dependencies of images/base:requirements." >&2
  exit 1
fi
echo "check-base-requirements: the base holds all $(wc -l <<<"$needed") requirements of ${#components[@]} components"
