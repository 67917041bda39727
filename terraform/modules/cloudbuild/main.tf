# The Cloud Build triggers of one environment (the configs are in the repository root and
# build-support/cloudbuild/). Each trigger names the service account it runs as: CI runs as
# mlops-cloud-build, Terraform as mlops-terraform, so no build has the default Cloud Build
# account's broad roles. The source is a GitHub repository (Cloud Build GitHub app) or a Cloud
# Source Repositories repository, chosen by var.repository.kind. Every build config runs its steps
# in the builder image (_BUILDER_IMAGE); Cloud Build rejects a substitution its config does not
# use, so each trigger passes only what its config reads.

locals {
  github = var.repository.kind == "github"
  # Manual triggers name the repository by URL.
  repository_uri  = local.github ? "https://github.com/${var.repository.owner}/${var.repository.name}" : "https://source.developers.google.com/p/${var.project_id}/r/${var.repository.name}"
  repository_type = local.github ? "GITHUB" : "CLOUD_SOURCE_REPOSITORIES"
  main_branch     = "^${var.main_branch}$"
}

# Lint, type check and test every pull request (GitHub only: Cloud Source Repositories has no
# pull requests).
resource "google_cloudbuild_trigger" "pull_request" {
  count = var.pull_request_checks && local.github ? 1 : 0

  project         = var.project_id
  location        = var.location
  name            = "pull-request"
  description     = "Lint, type check and test a pull request."
  filename        = "build-support/cloudbuild/pull-request.yaml"
  service_account = var.build_service_account_id
  substitutions   = { _BUILDER_IMAGE = var.builder_image, _BASE_BRANCH = var.main_branch }

  github {
    owner = var.repository.owner
    name  = var.repository.name
    pull_request {
      branch = local.main_branch
    }
  }
}

locals {
  # Triggers run on pushes to the main branch.
  push_triggers = merge(
    # Build and push the changed images, recompile and upload the changed specs, record the deploy.
    # Only where var.deploy_on_push: prod receives promoted builds instead.
    var.deploy_on_push ? {
      deploy = {
        description     = "Build, push and record what changed on ${var.main_branch} in ${var.environment}."
        filename        = "cloudbuild.yaml"
        service_account = var.build_service_account_id
        substitutions = {
          _ENVIRONMENT       = var.environment
          _ARTIFACT_REGISTRY = var.artifact_registry
          _BUILDER_IMAGE     = var.builder_image
        }
        included_files   = []
        require_approval = false
      }
    } : {},
    {
      # A change under terraform/: plan, then apply (_APPLY=true). In prod an approver must
      # release each build before it runs.
      terraform = {
        description      = "terraform plan and apply for ${var.environment}."
        filename         = "build-support/cloudbuild/terraform.yaml"
        service_account  = var.terraform_service_account_id
        substitutions    = { _ENVIRONMENT = var.environment, _APPLY = "true", _BUILDER_IMAGE = var.builder_image }
        included_files   = ["terraform/**"]
        require_approval = var.require_approval
      }
    },
  )
}

resource "google_cloudbuild_trigger" "on_push" {
  for_each = local.push_triggers

  project         = var.project_id
  location        = var.location
  name            = each.key
  description     = each.value.description
  filename        = each.value.filename
  service_account = each.value.service_account
  substitutions   = each.value.substitutions
  included_files  = each.value.included_files

  approval_config {
    approval_required = each.value.require_approval
  }

  dynamic "github" {
    for_each = local.github ? [1] : []
    content {
      owner = var.repository.owner
      name  = var.repository.name
      push {
        branch = local.main_branch
      }
    }
  }

  dynamic "trigger_template" {
    for_each = local.github ? [] : [1]
    content {
      project_id  = var.project_id
      repo_name   = var.repository.name
      branch_name = local.main_branch
    }
  }
}

# Run by hand: copy the images and specs of the deploy recorded in the previous environment into
# this one (nothing is rebuilt). Approval as for Terraform.
resource "google_cloudbuild_trigger" "promote" {
  count = var.promote_from == null ? 0 : 1

  project         = var.project_id
  location        = var.location
  name            = "promote"
  description     = "Promote the last ${var.promote_from} deploy to ${var.environment}."
  service_account = var.build_service_account_id
  substitutions = {
    _FROM_ENVIRONMENT = var.promote_from
    _TO_ENVIRONMENT   = var.environment
    _BUILDER_IMAGE    = var.builder_image
  }

  approval_config {
    approval_required = var.require_approval
  }

  source_to_build {
    uri       = local.repository_uri
    ref       = "refs/heads/${var.main_branch}"
    repo_type = local.repository_type
  }

  git_file_source {
    path      = "build-support/cloudbuild/promote.yaml"
    uri       = local.repository_uri
    revision  = "refs/heads/${var.main_branch}"
    repo_type = local.repository_type
  }
}
