# One environment of vertex-mlops: the modules wired together. terraform/environments/<env> calls
# this module with that environment's settings (its terraform.tfvars, which follow
# config/<env>.yaml), so dev and prod run the same code and differ only in their values.

locals {
  labels = merge({ app = "vertex-mlops", env = var.settings.environment }, var.settings.labels)
  # Pants writes the function archives to dist/functions.triggers at the repository root.
  functions_dist_dir = coalesce(var.settings.functions_dist_dir, "${path.root}/../../../dist/functions.triggers")
}

module "apis" {
  source     = "../apis"
  project_id = var.settings.project_id
  services = [
    "aiplatform.googleapis.com",
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "eventarc.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "notebooks.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
  ]
}

module "storage" {
  source     = "../storage"
  project_id = var.settings.project_id
  location   = var.settings.region
  buckets    = var.settings.buckets
  labels     = local.labels
  depends_on = [module.apis]
}

module "artifact_registry" {
  source            = "../artifact_registry"
  project_id        = var.settings.project_id
  location          = var.settings.region
  docker_repository = var.settings.docker_repository
  kfp_repository    = var.settings.kfp_repository
  labels            = local.labels
  depends_on        = [module.apis]
}

module "bigquery" {
  source     = "../bigquery"
  project_id = var.settings.project_id
  location   = var.settings.region
  datasets   = var.settings.datasets
  labels     = local.labels
  depends_on = [module.apis]
}

module "iam" {
  source                 = "../iam"
  project_id             = var.settings.project_id
  location               = var.settings.region
  buckets                = module.storage.names
  docker_repository      = module.artifact_registry.docker_repository_name
  kfp_repository         = module.artifact_registry.kfp_repository_name
  datasets               = module.bigquery.dataset_ids
  terraform_state_bucket = var.settings.terraform_state_bucket
  promotion_readers      = var.settings.promotion_readers
  depends_on             = [module.apis]
}

module "vertex" {
  source                 = "../vertex"
  project_id             = var.settings.project_id
  region                 = var.settings.region
  online_store_name      = var.settings.feature_online_store
  online_store_max_nodes = var.settings.online_store_max_nodes
  labels                 = local.labels
  depends_on             = [module.apis]
}

module "workbench" {
  source                = "../workbench"
  enabled               = var.settings.workbench.enabled
  project_id            = var.settings.project_id
  zone                  = var.settings.workbench.zone
  machine_type          = var.settings.workbench.machine_type
  owners                = var.settings.workbench.owners
  network               = var.settings.workbench.network
  subnetwork            = var.settings.workbench.subnetwork
  service_account_email = module.iam.emails["vertex-pipelines"]
  labels                = local.labels
  depends_on            = [module.apis]
}

module "functions" {
  source                         = "../functions"
  project_id                     = var.settings.project_id
  region                         = var.settings.region
  dist_dir                       = local.functions_dist_dir
  source_bucket                  = module.storage.names["deploys"]
  data_bucket                    = module.storage.names["data"]
  pipeline_root                  = var.settings.pipeline_root
  specs_uri                      = var.settings.specs_uri
  pipeline_service_account_email = module.iam.emails["vertex-pipelines"]
  runtime_service_account_email  = module.iam.emails["pipeline-triggers"]
  build_service_account_id       = module.iam.ids["mlops-cloud-build"]
  invoker_service_account_email  = module.iam.emails["pipeline-scheduler"]
  docker_repository_id           = module.artifact_registry.docker_repository
  scheduled_pipelines            = sort(keys(var.settings.scheduled_pipelines))
  new_data_run                   = var.settings.new_data_run
  retrain_on_drift               = var.settings.retrain_on_drift
  retrain_cooldown_hours         = var.settings.retrain_cooldown_hours
  labels                         = local.labels
  # The grants the functions' builds and runtime rely on come first.
  depends_on = [module.apis, module.iam]
}

module "scheduler" {
  source                = "../scheduler"
  project_id            = var.settings.project_id
  region                = var.settings.region
  pipelines             = var.settings.scheduled_pipelines
  function_uri          = module.functions.scheduled_run_uri
  service_account_email = module.iam.emails["pipeline-scheduler"]
  depends_on            = [module.apis]
}

# The triggers run every step in the builder image, which can only be pushed once the Docker
# repository exists: they are created once settings.builder_image_tag is set (docs/terraform.md,
# bootstrapping).
module "cloudbuild" {
  count                        = var.settings.builder_image_tag == null ? 0 : 1
  source                       = "../cloudbuild"
  builder_image                = "${module.artifact_registry.docker_registry}/${module.artifact_registry.docker_repository_name}/builder:${var.settings.builder_image_tag}"
  artifact_registry            = module.artifact_registry.docker_registry
  project_id                   = var.settings.project_id
  environment                  = var.settings.environment
  repository                   = var.settings.repository
  build_service_account_id     = module.iam.ids["mlops-cloud-build"]
  terraform_service_account_id = module.iam.ids["mlops-terraform"]
  pull_request_checks          = var.settings.pull_request_checks
  deploy_on_push               = var.settings.deploy_on_push
  require_approval             = var.settings.require_approval
  promote_from                 = var.settings.promote_from
  depends_on                   = [module.apis, module.iam]
}

module "alerting" {
  source             = "../alerting"
  project_id         = var.settings.project_id
  environment        = var.settings.environment
  notification_email = var.settings.notification_email
  depends_on         = [module.apis]
}
