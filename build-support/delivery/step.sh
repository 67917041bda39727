#!/usr/bin/env bash
# One step of a delivery (cloudbuild.yaml), run in the builder image with the checkout as the
# working directory. The steps share state in .delivery/ (git-ignored), as Cloud Build steps share
# /workspace; a failed step stops the build, and the record step, which runs last, never runs.
#
#   build-support/delivery/step.sh prepare|images|specs|record
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
# in a fresh container costs ~15 s. A packed PEX (a folder; see its BUILD) so that a commit changing
# code it holds (the pipelines, hence the components) rebuilds it in ~10 s rather than ~40 s.
readonly DELIVER=dist/build-support.delivery/deliver.pex
# PEX unpacks itself into PEX_ROOT on first use: keep it in the shared workspace, not in the
# container's home, so only the first step pays.
export PEX_ROOT=$PWD/$STATE/pex-root
deliver() {
  [[ -e $DELIVER ]] || ./pants package build-support/delivery:deliver
  python3.11 "$DELIVER" --env "$ENVIRONMENT" --state "$STATE" "$@"
}
# With an Artifact Registry, pants.gcp.toml replaces the local registry (see its header).
pants_to_registry() {
  if [[ -n ${ARTIFACT_REGISTRY:-} ]]; then PANTS_CONFIG_FILES=pants.gcp.toml ./pants "$@"; else ./pants "$@"; fi
}

case ${1:-} in
  prepare)
    deliver prepare --commit "$COMMIT_SHA" --artifact-registry "${ARTIFACT_REGISTRY:-}" ;;
  images)
    # Selection, build and push in one Pants run: each Pants start in a fresh container costs 10-15 s,
    # which a one-component build would otherwise pay twice. Component images only: the base image
    # travels inside them and is never pushed on its own. The graph decides, as in
    # build-support/changed-images.sh: a change selects every image that depends on it.
    base=$(<"$STATE/base")
    selection=(--filter-target-type=docker_image --filter-address-regex=^components/)
    if [[ -z $base ]]; then
      echo "images: nothing deployed yet: every component image"
      selection+=(components::)
    else
      echo "images: the component images affected by changes since ${base:0:12}"
      selection=(--changed-since="$base" --changed-dependents=transitive "${selection[@]}")
    fi
    [[ -z ${ARTIFACT_REGISTRY:-} ]] || deliver docker-login
    # package writes dist/*/image.docker-info.json, which the specs step reads; publish reuses the build.
    pants_to_registry "${selection[@]}" package publish
    shopt -s nullglob
    built=(dist/components.*/image.docker-info.json)
    if [[ ${#built[@]} -eq 0 ]]; then echo "images: nothing to build"; exit 0; fi
    echo "images: built and pushed ${#built[@]}:"
    for info in "${built[@]}"; do
      folder=${info#dist/components.}
      echo "  components/${folder%%/*}:image"
    done ;;
  specs)
    deliver specs --commit "$COMMIT_SHA" ;;
  record)
    deliver record --commit "$COMMIT_SHA" --build-id "${BUILD_ID:-}" ;;
  *)
    sed -n '6p' "$0" >&2; exit 2 ;;
esac
