# dev: the names are those of config/dev.yaml (terraform/tests/test_config_names.py checks it).
settings = {
  project_id  = "acme-mlops-dev"
  region      = "europe-west2"
  environment = "dev"

  buckets = {
    data       = "acme-mlops-dev-data"       # storage_root
    pipelines  = "acme-mlops-dev-pipelines"  # gcp.pipeline_root
    staging    = "acme-mlops-dev-staging"    # gcp.staging_bucket
    specs      = "acme-mlops-dev-specs"      # delivery.specs_uri
    deploys    = "acme-mlops-dev-deploys"    # delivery.deploy_records_uri
    monitoring = "acme-mlops-dev-monitoring" # serving.model_monitoring.output_uri
  }
  pipeline_root = "gs://acme-mlops-dev-pipelines/root"
  specs_uri     = "gs://acme-mlops-dev-specs/pipelines"

  docker_repository = "vertex-mlops"           # images.registry + images.repository
  kfp_repository    = "vertex-mlops-pipelines" # delivery.kfp_repository

  datasets = {
    serving_logs = "serving_logs" # serving.request_logging.bigquery_table
    features     = "features"     # feature_store_uri dataset=
  }
  feature_online_store   = "online" # feature_store_uri online_store=
  online_store_max_nodes = 1

  terraform_state_bucket = "acme-mlops-dev-tfstate"

  # prod's builds read dev's images, specs and deploy records when they promote.
  promotion_readers = ["serviceAccount:mlops-cloud-build@acme-mlops-prod.iam.gserviceaccount.com"]

  # dev retrains on new data rather than on a timetable; the scoring job runs nightly.
  scheduled_pipelines = {
    churn-batch = { schedule = "0 5 * * *", time_zone = "Europe/London" }
  }
  new_data_run = {
    pipeline  = "churn"
    prefix    = "incoming/churn/"
    parameter = "source_uri"
  }
  # A monitoring alert where churn-classifier's skew or drift crossed retrains it with the churn
  # pipeline (health-only alerts do not: docs/triggers.md).
  retrain_on_drift = {
    "churn-classifier" = "churn"
  }

  # The content tag of build-support/builder:image in this environment's Docker repository. Unset,
  # no Cloud Build trigger is created (a new project: docs/terraform.md, bootstrapping step 6).
  # builder_image_tag = "<tag printed by ./pants publish build-support/builder:image>"

  repository = {
    kind  = "github"
    owner = "acme"
    name  = "vertex-mlops"
  }
  pull_request_checks = true
  deploy_on_push      = true
  require_approval    = false

  notification_email = "mlops-alerts@acme.example"

  workbench = {
    enabled    = true
    zone       = "europe-west2-a"
    network    = "projects/acme-mlops-dev/global/networks/default"
    subnetwork = "projects/acme-mlops-dev/regions/europe-west2/subnetworks/default"
  }
}
