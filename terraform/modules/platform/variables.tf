# Everything that differs between environments, in one object, so that an environment's root
# (terraform/environments/<env>) is only `settings = var.settings` and its terraform.tfvars.
# Names follow config/<env>.yaml (terraform/tests/test_config_names.py checks that they agree).
variable "settings" {
  description = "This environment's values; each field is described next to its type."
  type = object({
    project_id  = string # config gcp.project_id
    region      = string # config gcp.region: everything regional lives there
    environment = string # config environment: dev or prod (_ENVIRONMENT of the Cloud Build triggers)

    # Bucket role => name: data (storage_root), pipelines (gcp.pipeline_root), staging
    # (gcp.staging_bucket), specs (delivery.specs_uri), deploys (delivery.deploy_records_uri),
    # monitoring (serving.model_monitoring.output_uri).
    buckets       = map(string)
    pipeline_root = string # config gcp.pipeline_root, passed to the trigger functions
    specs_uri     = string # config delivery.specs_uri, passed to the trigger functions

    docker_repository = string # config images.repository (images.registry is REGION-docker.pkg.dev/PROJECT)
    kfp_repository    = string # last path segment of config delivery.kfp_repository

    # serving_logs (serving.request_logging.bigquery_table) and features (feature_store_uri dataset=).
    datasets               = map(string)
    feature_online_store   = string # feature_store_uri online_store=
    online_store_max_nodes = optional(number, 2)

    # Created by hand before the first apply (docs/terraform.md).
    terraform_state_bucket = string
    # Members of the next environment's build that may read this one's images, specs and deploy
    # records, to promote them.
    promotion_readers = optional(list(string), [])

    # Pipeline config name => cron schedule: one Cloud Scheduler job each.
    scheduled_pipelines = optional(map(object({
      schedule  = string
      time_zone = optional(string, "Etc/UTC")
    })), {})
    # The new-data function: the pipeline it starts, for objects under which prefix of the data
    # bucket, and the parameter that gets the object's gs:// URI. null: no new-data function.
    new_data_run = optional(object({
      pipeline  = string
      prefix    = string
      parameter = optional(string, "source_uri")
    }))
    # Retraining on drift: registered model name => pipeline config name that retrains it, e.g.
    # { "churn-classifier" = "churn" }. A monitoring alert whose skew or drift crossed starts that
    # pipeline (docs/triggers.md). null or empty: no drift function, log sink or topic.
    retrain_on_drift = optional(map(string), {})
    # While drift persists, each monitoring window alerts again: at most one drift-started run per
    # pipeline within this many hours (MLOPS_RETRAIN_COOLDOWN_HOURS). 0: a run for every alert.
    retrain_cooldown_hours = optional(number, 72)
    # Folder of the function archives; null: dist/functions.triggers at the repository root.
    functions_dist_dir = optional(string)

    # The repository the Cloud Build triggers watch: kind github (owner, name) or
    # cloud_source_repositories (name).
    repository = object({
      kind  = string
      owner = optional(string)
      name  = string
    })
    # Content tag of build-support/builder:image pushed to this environment's Docker repository;
    # null: no Cloud Build triggers yet (the first apply of a new project).
    builder_image_tag   = optional(string)
    pull_request_checks = optional(bool, false) # the pull-request trigger (one environment is enough)
    deploy_on_push      = optional(bool, false) # the deploy trigger (cloudbuild.yaml on pushes to main)
    require_approval    = optional(bool, false) # terraform and promote builds wait for an approver
    promote_from        = optional(string)      # environment the manual promote trigger copies from

    notification_email = string # where failure alerts go

    # The optional Workbench instance (zone, network and subnetwork are needed when enabled).
    workbench = optional(object({
      enabled      = bool
      zone         = optional(string, "")
      machine_type = optional(string, "e2-standard-4")
      owners       = optional(list(string), [])
      network      = optional(string, "")
      subnetwork   = optional(string, "")
    }), { enabled = false })

    labels = optional(map(string), {}) # extra labels for every labelled resource
  })

  validation {
    condition     = contains(["dev", "prod"], var.settings.environment)
    error_message = "settings.environment is dev or prod (the Cloud Build configs' _ENVIRONMENT)."
  }

  validation {
    condition     = !var.settings.workbench.enabled || (var.settings.workbench.zone != "" && var.settings.workbench.network != "" && var.settings.workbench.subnetwork != "")
    error_message = "An enabled Workbench instance needs zone, network and subnetwork."
  }
}
