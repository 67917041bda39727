# prod: the names are those of config/prod.yaml (terraform/tests/test_config_names.py checks it).
settings = {
  project_id  = "acme-mlops-prod"
  region      = "europe-west2"
  environment = "prod"

  buckets = {
    data       = "acme-mlops-prod-data"       # storage_root
    pipelines  = "acme-mlops-prod-pipelines"  # gcp.pipeline_root
    staging    = "acme-mlops-prod-staging"    # gcp.staging_bucket
    specs      = "acme-mlops-prod-specs"      # delivery.specs_uri
    deploys    = "acme-mlops-prod-deploys"    # delivery.deploy_records_uri
    monitoring = "acme-mlops-prod-monitoring" # serving.model_monitoring.output_uri
  }
  pipeline_root = "gs://acme-mlops-prod-pipelines/root"
  specs_uri     = "gs://acme-mlops-prod-specs/pipelines"

  docker_repository = "vertex-mlops"           # images.registry + images.repository
  kfp_repository    = "vertex-mlops-pipelines" # delivery.kfp_repository

  datasets = {
    serving_logs = "serving_logs" # serving.request_logging.bigquery_table
    features     = "features"     # feature_store_uri dataset=
  }
  feature_online_store   = "online" # feature_store_uri online_store=
  online_store_max_nodes = 4

  terraform_state_bucket = "acme-mlops-prod-tfstate"

  # Weekly retraining (Monday morning) and nightly scoring.
  scheduled_pipelines = {
    churn       = { schedule = "0 6 * * 1", time_zone = "Europe/London" }
    churn-batch = { schedule = "0 5 * * *", time_zone = "Europe/London" }
    energy      = { schedule = "30 6 * * 1", time_zone = "Europe/London" }
  }
  new_data_run = null
  # prod retrains on its weekly schedule; drift alerts page (modules/alerting) without retraining.
  retrain_on_drift = {}

  # The content tag of build-support/builder:image in this environment's Docker repository. Unset,
  # no Cloud Build trigger is created (a new project: docs/terraform.md, bootstrapping step 6).
  # builder_image_tag = "<tag printed by ./pants publish build-support/builder:image>"

  repository = {
    kind  = "github"
    owner = "acme"
    name  = "vertex-mlops"
  }
  # Pull requests are checked once, in dev. prod builds nothing on push: it receives dev's images
  # and specs through the manual promote trigger; terraform and promote builds wait for approval.
  pull_request_checks = false
  deploy_on_push      = false
  require_approval    = true
  promote_from        = "dev"

  notification_email = "mlops-alerts@acme.example"

  workbench = { enabled = false }
}
