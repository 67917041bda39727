# The dev environment: modules/platform with dev's values (terraform.tfvars).
module "platform" {
  source = "../../modules/platform"

  project_id             = var.project_id
  region                 = var.region
  environment            = var.environment
  buckets                = var.buckets
  pipeline_root          = var.pipeline_root
  specs_uri              = var.specs_uri
  docker_repository      = var.docker_repository
  kfp_repository         = var.kfp_repository
  datasets               = var.datasets
  feature_online_store   = var.feature_online_store
  online_store_max_nodes = var.online_store_max_nodes
  terraform_state_bucket = var.terraform_state_bucket
  promotion_readers      = var.promotion_readers
  scheduled_pipelines    = var.scheduled_pipelines
  new_data_run           = var.new_data_run
  repository             = var.repository
  pull_request_checks    = var.pull_request_checks
  deploy_on_push         = var.deploy_on_push
  require_approval       = var.require_approval
  promote_from           = var.promote_from
  notification_email     = var.notification_email
  workbench              = var.workbench
}
