variable "project_id" {
  description = "The project of the triggers."
  type        = string
}

variable "location" {
  description = "Trigger location. GitHub app and Cloud Source Repositories triggers are global."
  type        = string
  default     = "global"
}

variable "environment" {
  description = "Environment name (_ENVIRONMENT): dev or prod."
  type        = string
}

variable "repository" {
  description = "Where the code is: kind github (owner and name, connected through the Cloud Build GitHub app) or cloud_source_repositories (name)."
  type = object({
    kind  = string
    owner = optional(string)
    name  = string
  })

  validation {
    condition     = contains(["github", "cloud_source_repositories"], var.repository.kind) && (var.repository.kind != "github" || var.repository.owner != null)
    error_message = "repository.kind is github (with an owner) or cloud_source_repositories."
  }
}

variable "main_branch" {
  description = "The branch whose pushes deploy."
  type        = string
  default     = "main"
}

variable "build_service_account_id" {
  description = "Service account id (projects/P/serviceAccounts/EMAIL) of CI builds: mlops-cloud-build."
  type        = string
}

variable "terraform_service_account_id" {
  description = "Service account id of the terraform trigger: mlops-terraform."
  type        = string
}

variable "builder_image" {
  description = "The CI builder image every step runs in (_BUILDER_IMAGE): REGISTRY/vertex-mlops/builder:CONTENT_TAG."
  type        = string
}

variable "artifact_registry" {
  description = "The environment's images.registry (_ARTIFACT_REGISTRY of cloudbuild.yaml)."
  type        = string
}

variable "pull_request_checks" {
  description = "Create the pull-request trigger (one environment is enough)."
  type        = bool
  default     = false
}

variable "deploy_on_push" {
  description = "Create the deploy trigger (cloudbuild.yaml on pushes to the main branch)."
  type        = bool
  default     = false
}

variable "require_approval" {
  description = "Builds of the terraform and promote triggers wait for an approver."
  type        = bool
  default     = false
}

variable "promote_from" {
  description = "Environment whose recorded deploy the manual promote trigger copies here; null: no promote trigger."
  type        = string
  default     = null
}
