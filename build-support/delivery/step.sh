#!/usr/bin/env bash
# One step of a delivery (cloudbuild.yaml), run in the builder image with the checkout as the
# working directory. The steps share state in .delivery/ (git-ignored), as Cloud Build steps share
# /workspace; a failed step stops the build, and the record step, which runs last, never runs.
#
#   build-support/delivery/step.sh prepare|select|images|specs|record
#
# Environment (cloudbuild.yaml sets it from substitutions):
#   ENVIRONMENT        config/<ENVIRONMENT>.yaml (local, dev, prod) or a path to an environment config
#   COMMIT_SHA         the commit being delivered
#   BUILD_ID           recorded with the deploy
#   ARTIFACT_REGISTRY  the registry to push to (Artifact Registry); empty: pants.toml's (local) registry
set -euo pipefail
: "${ENVIRONMENT:?set ENVIRONMENT}" "${COMMIT_SHA:?set COMMIT_SHA}"
readonly STATE=.delivery

# The deliver PEX is built once, by the first step, and run directly by the others: each Pants start
# in a fresh container costs ~15 s.
readonly DELIVER=dist/build-support.delivery/deliver.pex
# PEX unpacks itself into PEX_ROOT on first use (~20 s for this one): keep it in the shared workspace,
# not in the container's home, so only the first step pays.
export PEX_ROOT=$PWD/$STATE/pex-root
deliver() {
  [[ -f $DELIVER ]] || ./pants package build-support/delivery:deliver
  python3.11 "$DELIVER" --env "$ENVIRONMENT" --state "$STATE" "$@"
}
# With an Artifact Registry, pants.gcp.toml replaces the local registry (see its header).
pants_to_registry() {
  if [[ -n ${ARTIFACT_REGISTRY:-} ]]; then PANTS_CONFIG_FILES=pants.gcp.toml ./pants "$@"; else ./pants "$@"; fi
}

case ${1:-} in
  prepare)
    deliver prepare --commit "$COMMIT_SHA" --artifact-registry "${ARTIFACT_REGISTRY:-}" ;;
  select)
    # Component images only: the base image travels inside them and is never pushed on its own.
    base=$(<"$STATE/base")
    if [[ -z $base ]]; then
      ./pants --filter-target-type=docker_image list components:: >"$STATE/images.txt"
    else
      build-support/changed-images.sh list "$base" | { grep '^components/' || true; } >"$STATE/images.txt"
    fi
    echo "select: $(wc -l <"$STATE/images.txt") image(s) to build and push${base:+ (changed since ${base:0:12})}:"
    sed 's/^/  /' "$STATE/images.txt" ;;
  images)
    mapfile -t images <"$STATE/images.txt"
    if [[ ${#images[@]} -eq 0 ]]; then echo "images: nothing to build"; exit 0; fi
    [[ -z ${ARTIFACT_REGISTRY:-} ]] || deliver docker-login
    # package writes dist/*/image.docker-info.json, which the specs step reads; publish reuses the
    # build. One Pants run for both goals: each start in a fresh container costs ~10 s.
    pants_to_registry package publish "${images[@]}" ;;
  specs)
    deliver specs --commit "$COMMIT_SHA" ;;
  record)
    deliver record --commit "$COMMIT_SHA" --build-id "${BUILD_ID:-}" ;;
  *)
    sed -n '6p' "$0" >&2; exit 2 ;;
esac
