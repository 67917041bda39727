# Names follow config/<env>.yaml (terraform/tests/test_config_names.py checks that they agree).

variable "project_id" {
  description = "The environment's project (config gcp.project_id)."
  type        = string
}

variable "region" {
  description = "Region of everything regional (config gcp.region)."
  type        = string
}

variable "environment" {
  description = "Environment name (config environment): dev or prod."
  type        = string
}

variable "buckets" {
  description = "Bucket role => name: data (storage_root), pipelines (gcp.pipeline_root), staging (gcp.staging_bucket), specs (delivery.specs_uri), deploys (delivery.deploy_records_uri)."
  type        = map(string)
}

variable "pipeline_root" {
  description = "gcp.pipeline_root, passed to the trigger functions."
  type        = string
}

variable "specs_uri" {
  description = "delivery.specs_uri, passed to the trigger functions."
  type        = string
}

variable "docker_repository" {
  description = "Artifact Registry Docker repository (config images.repository)."
  type        = string
}

variable "kfp_repository" {
  description = "Artifact Registry KFP repository (last segment of delivery.kfp_repository)."
  type        = string
}

variable "datasets" {
  description = "BigQuery datasets: serving_logs (serving.request_logging.bigquery_table) and features (feature_store_uri dataset=)."
  type        = map(string)
}

variable "feature_online_store" {
  description = "Feature Store online store name (feature_store_uri online_store=)."
  type        = string
}

variable "online_store_max_nodes" {
  description = "Upper bound of the online store's Bigtable nodes."
  type        = number
  default     = 2
}

variable "terraform_state_bucket" {
  description = "The state bucket, created by hand before the first apply (docs/terraform.md)."
  type        = string
}

variable "promotion_readers" {
  description = "Members of the next environment's build that may read this one's images, specs and deploy records (promotion)."
  type        = list(string)
  default     = []
}

variable "scheduled_pipelines" {
  description = "Pipeline config name => { schedule (cron), time_zone }: one Cloud Scheduler job each."
  type = map(object({
    schedule  = string
    time_zone = optional(string, "Etc/UTC")
  }))
  default = {}
}

variable "new_data_run" {
  description = "The new-data function's pipeline, data-bucket prefix and parameter; null: none."
  type = object({
    pipeline  = string
    prefix    = string
    parameter = optional(string, "source_uri")
  })
  default = null
}

variable "functions_dist_dir" {
  description = "Folder of the function archives; null: dist/functions.triggers at the repository root."
  type        = string
  default     = null
}

variable "repository" {
  description = "The code repository the Cloud Build triggers watch (see modules/cloudbuild)."
  type = object({
    kind  = string
    owner = optional(string)
    name  = string
  })
}

variable "pull_request_checks" {
  description = "Create the pull-request trigger."
  type        = bool
  default     = false
}

variable "deploy_on_push" {
  description = "Create the deploy trigger (cloudbuild.yaml on pushes to main)."
  type        = bool
  default     = false
}

variable "require_approval" {
  description = "The terraform and promote triggers wait for an approver."
  type        = bool
  default     = false
}

variable "promote_from" {
  description = "Environment the manual promote trigger copies from; null: no promote trigger."
  type        = string
  default     = null
}

variable "notification_email" {
  description = "Where failure alerts are sent."
  type        = string
}

variable "workbench" {
  description = "The optional Workbench instance."
  type = object({
    enabled      = bool
    zone         = optional(string, "")
    machine_type = optional(string, "e2-standard-4")
    owners       = optional(list(string), [])
    network      = optional(string, "")
    subnetwork   = optional(string, "")
  })
  default = { enabled = false }

  validation {
    condition     = !var.workbench.enabled || (var.workbench.zone != "" && var.workbench.network != "" && var.workbench.subnetwork != "")
    error_message = "An enabled Workbench instance needs zone, network and subnetwork."
  }
}

variable "labels" {
  description = "Extra labels for every labelled resource."
  type        = map(string)
  default     = {}
}
