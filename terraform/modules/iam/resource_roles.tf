# Grants scoped to one bucket, repository, dataset or service account. The *_iam_member resources
# are additive: they never remove grants made elsewhere.

locals {
  # For for_each keys that are known at plan time: the members' e-mails are not (they are computed).
  vertex_pipelines  = { "vertex-pipelines" = google_service_account.vertex_pipelines.member }
  model_serving     = { "model-serving" = google_service_account.model_serving.member }
  cloud_build       = { "mlops-cloud-build" = google_service_account.cloud_build.member }
  terraform         = { "mlops-terraform" = google_service_account.terraform.member }
  pipeline_triggers = { "pipeline-triggers" = google_service_account.pipeline_triggers.member }
  promotion_readers = { for member in var.promotion_readers : member => member }
  # Vertex AI's own service agent (Google-managed, created with the API) runs Model Monitoring jobs.
  vertex_ai_agent = { "vertex-ai-service-agent" = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-aiplatform.iam.gserviceaccount.com" }

  # bucket role (modules/storage) => role => {label => member}
  bucket_grants = {
    data = {
      # Training and scoring data is read by the pipelines; it is written by whoever delivers data.
      "roles/storage.objectViewer" = local.vertex_pipelines
    }
    pipelines = {
      # The pipeline root: steps write artifacts there (and the cache overwrites them).
      "roles/storage.objectAdmin" = local.vertex_pipelines
      # Served models load their bundle from the training run's artifacts.
      "roles/storage.objectViewer" = local.model_serving
      # The Vertex AI SDK checks that the pipeline root's bucket exists before it submits a job.
      "roles/storage.legacyBucketReader" = local.pipeline_triggers
    }
    staging = {
      # gcp.staging_bucket: the SDK stages job inputs there.
      "roles/storage.objectAdmin" = local.vertex_pipelines
    }
    specs = {
      # CI uploads compiled specs and moves each pipeline's latest.yaml.
      "roles/storage.objectAdmin" = local.cloud_build
      # The trigger functions load the compiled spec they submit; the next environment's build
      # reads the specs it promotes.
      "roles/storage.objectViewer" = merge(local.pipeline_triggers, local.promotion_readers)
    }
    deploys = {
      # CI records the last deployed commit; Terraform uploads the functions' source archives,
      # which the function builds (run as mlops-cloud-build) read.
      "roles/storage.objectAdmin" = merge(local.cloud_build, local.terraform)
      # The next environment's build reads the deploy record it promotes.
      "roles/storage.objectViewer" = local.promotion_readers
    }
    monitoring = {
      # Model Monitoring jobs (`mlops monitor-vertex`) write their results under
      # serving.model_monitoring.output_uri.
      "roles/storage.objectAdmin" = local.vertex_ai_agent
    }
  }

  bucket_bindings = {
    for grant in flatten([
      for bucket, grants in local.bucket_grants : [
        for role, members in grants : [
          for label, member in members : { key = "${bucket} ${role} ${label}", bucket = bucket, role = role, member = member }
        ]
      ]
    ]) : grant.key => grant
  }
}

resource "google_storage_bucket_iam_member" "this" {
  for_each = local.bucket_bindings

  bucket = var.buckets[each.value.bucket]
  role   = each.value.role
  member = each.value.member
}

# The Terraform state bucket is created by hand before the first apply (docs/terraform.md).
resource "google_storage_bucket_iam_member" "terraform_state" {
  bucket = var.terraform_state_bucket
  role   = "roles/storage.objectAdmin"
  member = google_service_account.terraform.member
}

# Artifact Registry: CI pushes images and uploads pipeline templates; the trigger functions may
# load a template from the KFP repository. Vertex AI pulls images with its own service agent.
resource "google_artifact_registry_repository_iam_member" "cloud_build_writes" {
  for_each = toset([var.docker_repository, var.kfp_repository])

  project    = var.project_id
  location   = var.location
  repository = each.value
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.cloud_build.member
}

resource "google_artifact_registry_repository_iam_member" "triggers_read_templates" {
  project    = var.project_id
  location   = var.location
  repository = var.kfp_repository
  role       = "roles/artifactregistry.reader"
  member     = google_service_account.pipeline_triggers.member
}

# Promotion (build-support/cloudbuild/promote.yaml, run in the next environment) copies the
# images and specs of a recorded deploy out of this one.
resource "google_artifact_registry_repository_iam_member" "promotion_readers" {
  for_each = { for pair in setproduct([var.docker_repository, var.kfp_repository], var.promotion_readers) : "${pair[0]} ${pair[1]}" => pair }

  project    = var.project_id
  location   = var.location
  repository = each.value[0]
  role       = "roles/artifactregistry.reader"
  member     = each.value[1]
}

# BigQuery, per dataset: pipelines write feature tables and read the serving logs (monitoring).
# Vertex AI writes the request-response logs itself, with its service agent.
resource "google_bigquery_dataset_iam_member" "features" {
  project    = var.project_id
  dataset_id = var.datasets["features"]
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.vertex_pipelines.member
}

resource "google_bigquery_dataset_iam_member" "serving_logs" {
  project    = var.project_id
  dataset_id = var.datasets["serving_logs"]
  role       = "roles/bigquery.dataViewer"
  member     = google_service_account.vertex_pipelines.member
}

# Model Monitoring reads the logged requests (serving_logs) and the training table it compares them
# with (features) as Vertex AI's service agent, not as the pipelines' account. Its project-level
# role (roles/aiplatform.serviceAgent, which runs the BigQuery jobs) is granted by Google.
data "google_project" "this" {
  project_id = var.project_id
}

resource "google_bigquery_dataset_iam_member" "monitoring_reads" {
  for_each = toset(["serving_logs", "features"])

  project    = var.project_id
  dataset_id = var.datasets[each.value]
  role       = "roles/bigquery.dataViewer"
  member     = local.vertex_ai_agent["vertex-ai-service-agent"]
}

# Acting as a service account (iam.serviceAccountUser), granted on that one account:
# - the trigger functions submit PipelineJobs that run as vertex-pipelines;
# - the pipelines deploy models that run as model-serving;
# - Terraform creates resources that run as the other identities (functions, triggers, scheduler
#   jobs, the Workbench instance) and the terraform trigger itself.
locals {
  act_as = {
    "vertex-pipelines by pipeline-triggers" = { account = google_service_account.vertex_pipelines.name, member = google_service_account.pipeline_triggers.member }
    "vertex-pipelines by mlops-terraform"   = { account = google_service_account.vertex_pipelines.name, member = google_service_account.terraform.member }
    "model-serving by vertex-pipelines"     = { account = google_service_account.model_serving.name, member = google_service_account.vertex_pipelines.member }
    "pipeline-triggers by mlops-terraform"  = { account = google_service_account.pipeline_triggers.name, member = google_service_account.terraform.member }
    "pipeline-scheduler by mlops-terraform" = { account = google_service_account.pipeline_scheduler.name, member = google_service_account.terraform.member }
    "mlops-cloud-build by mlops-terraform"  = { account = google_service_account.cloud_build.name, member = google_service_account.terraform.member }
    "mlops-terraform by mlops-terraform"    = { account = google_service_account.terraform.name, member = google_service_account.terraform.member }
  }
}

resource "google_service_account_iam_member" "act_as" {
  for_each = local.act_as

  service_account_id = each.value.account
  role               = "roles/iam.serviceAccountUser"
  member             = each.value.member
}
