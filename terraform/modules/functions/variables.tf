variable "project_id" {
  description = "The project of the functions (MLOPS_PROJECT)."
  type        = string
}

variable "region" {
  description = "The functions' region, and the pipelines' (MLOPS_REGION)."
  type        = string
}

variable "dist_dir" {
  description = "Folder holding scheduled-run.zip, new-data-run.zip and drift-run.zip (Pants writes dist/functions.triggers)."
  type        = string
}

variable "source_bucket" {
  description = "Bucket the source archives are uploaded to (the deploys bucket)."
  type        = string
}

variable "pipeline_root" {
  description = "gcp.pipeline_root of config/<env>.yaml (MLOPS_PIPELINE_ROOT)."
  type        = string
}

variable "specs_uri" {
  description = "delivery.specs_uri of config/<env>.yaml (MLOPS_SPECS_URI)."
  type        = string
}

variable "pipeline_service_account_email" {
  description = "The vertex-pipelines e-mail the submitted PipelineJobs run as (MLOPS_SERVICE_ACCOUNT)."
  type        = string
}

variable "runtime_service_account_email" {
  description = "The functions' runtime identity (pipeline-triggers)."
  type        = string
}

variable "build_service_account_id" {
  description = "Service account id (projects/P/serviceAccounts/EMAIL) that builds the functions (mlops-cloud-build)."
  type        = string
}

variable "docker_repository_id" {
  description = "Artifact Registry repository id for the functions' build images."
  type        = string
}

variable "invoker_service_account_email" {
  description = "The identity allowed to call the HTTP function (pipeline-scheduler)."
  type        = string
}

variable "scheduled_pipelines" {
  description = "Pipeline config names the HTTP function may start (MLOPS_PIPELINES)."
  type        = list(string)
}

variable "data_bucket" {
  description = "The data bucket whose new objects may start a run."
  type        = string
}

variable "new_data_run" {
  description = "The new-data function: which pipeline it starts, for objects under which prefix of the data bucket (e.g. incoming/churn/), and which pipeline parameter gets the object's gs:// URI. null: no new-data function."
  type = object({
    pipeline  = string
    prefix    = string
    parameter = optional(string, "source_uri")
  })
  default = null
}

variable "new_data_retry" {
  description = "Let Eventarc redeliver an event whose run failed to start (safe: job ids are derived from event ids)."
  type        = bool
  default     = false
}

variable "retrain_on_drift" {
  description = "Registered model name => pipeline config name that retrains it, e.g. { \"churn-classifier\" = \"churn\" }: a monitoring alert whose skew or drift crossed starts that pipeline (MLOPS_RETRAIN_PIPELINES). Empty or null: no drift function, sink or topic."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for pipeline in values(var.retrain_on_drift) : can(regex("^[a-z][a-z0-9-]{0,62}$", pipeline))])
    error_message = "retrain_on_drift's values are pipeline config names (lowercase letters, digits and dashes)."
  }
}

variable "retrain_cooldown_hours" {
  description = "At most one drift-started run per pipeline within this many hours (MLOPS_RETRAIN_COOLDOWN_HOURS): while drift persists, every monitoring window alerts again. 0: a run for every alert."
  type        = number
  default     = 72
  nullable    = false

  validation {
    condition     = var.retrain_cooldown_hours >= 0 && var.retrain_cooldown_hours <= 8760
    error_message = "retrain_cooldown_hours is between 0 and 8760 (a year)."
  }
}

variable "drift_retry" {
  description = "Let Eventarc redeliver a drift alert whose run failed to start (safe: job ids are derived from the alert's key)."
  type        = bool
  default     = false
}

variable "max_instances" {
  description = "Upper bound on each function's instances."
  type        = number
  default     = 3
}

variable "labels" {
  description = "Labels set on the functions and the drift topic."
  type        = map(string)
  default     = {}
}
