# One environment of vertex-mlops: the modules wired together. terraform/environments/<env> calls
# this module with that environment's names (its terraform.tfvars, which follow config/<env>.yaml),
# so dev and prod run the same code and differ only in their values.

locals {
  labels = merge({ app = "vertex-mlops", env = var.environment }, var.labels)
  # Pants writes the function archives to dist/functions.triggers at the repository root.
  functions_dist_dir = coalesce(var.functions_dist_dir, "${path.root}/../../../dist/functions.triggers")
}

module "apis" {
  source     = "../apis"
  project_id = var.project_id
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
  project_id = var.project_id
  location   = var.region
  buckets    = var.buckets
  labels     = local.labels
  depends_on = [module.apis]
}

module "artifact_registry" {
  source            = "../artifact_registry"
  project_id        = var.project_id
  location          = var.region
  docker_repository = var.docker_repository
  kfp_repository    = var.kfp_repository
  labels            = local.labels
  depends_on        = [module.apis]
}

module "bigquery" {
  source     = "../bigquery"
  project_id = var.project_id
  location   = var.region
  datasets   = var.datasets
  labels     = local.labels
  depends_on = [module.apis]
}

module "iam" {
  source                 = "../iam"
  project_id             = var.project_id
  location               = var.region
  buckets                = module.storage.names
  docker_repository      = module.artifact_registry.docker_repository_name
  kfp_repository         = module.artifact_registry.kfp_repository_name
  datasets               = module.bigquery.dataset_ids
  terraform_state_bucket = var.terraform_state_bucket
  promotion_readers      = var.promotion_readers
  depends_on             = [module.apis]
}

module "vertex" {
  source                 = "../vertex"
  project_id             = var.project_id
  region                 = var.region
  online_store_name      = var.feature_online_store
  online_store_max_nodes = var.online_store_max_nodes
  labels                 = local.labels
  depends_on             = [module.apis]
}

module "workbench" {
  source                = "../workbench"
  enabled               = var.workbench.enabled
  project_id            = var.project_id
  zone                  = var.workbench.zone
  machine_type          = var.workbench.machine_type
  owners                = var.workbench.owners
  network               = var.workbench.network
  subnetwork            = var.workbench.subnetwork
  service_account_email = module.iam.emails["vertex-pipelines"]
  labels                = local.labels
  depends_on            = [module.apis]
}

module "functions" {
  source                         = "../functions"
  project_id                     = var.project_id
  region                         = var.region
  dist_dir                       = local.functions_dist_dir
  source_bucket                  = module.storage.names["deploys"]
  data_bucket                    = module.storage.names["data"]
  pipeline_root                  = var.pipeline_root
  specs_uri                      = var.specs_uri
  pipeline_service_account_email = module.iam.emails["vertex-pipelines"]
  runtime_service_account_email  = module.iam.emails["pipeline-triggers"]
  build_service_account_id       = module.iam.ids["mlops-cloud-build"]
  invoker_service_account_email  = module.iam.emails["pipeline-scheduler"]
  docker_repository_id           = module.artifact_registry.docker_repository
  scheduled_pipelines            = sort(keys(var.scheduled_pipelines))
  new_data_run                   = var.new_data_run
  labels                         = local.labels
  # The grants the functions' builds and runtime rely on come first.
  depends_on = [module.apis, module.iam]
}

module "scheduler" {
  source                = "../scheduler"
  project_id            = var.project_id
  region                = var.region
  pipelines             = var.scheduled_pipelines
  function_uri          = module.functions.scheduled_run_uri
  service_account_email = module.iam.emails["pipeline-scheduler"]
  depends_on            = [module.apis]
}

module "cloudbuild" {
  source                       = "../cloudbuild"
  project_id                   = var.project_id
  environment                  = var.environment
  repository                   = var.repository
  build_service_account_id     = module.iam.ids["mlops-cloud-build"]
  terraform_service_account_id = module.iam.ids["mlops-terraform"]
  pull_request_checks          = var.pull_request_checks
  deploy_on_push               = var.deploy_on_push
  require_approval             = var.require_approval
  promote_from                 = var.promote_from
  depends_on                   = [module.apis, module.iam]
}

module "alerting" {
  source             = "../alerting"
  project_id         = var.project_id
  environment        = var.environment
  notification_email = var.notification_email
  depends_on         = [module.apis]
}
