# The six service accounts of docs/terraform.md (one set per project). Each is a separate resource
# with a literal account id, so that reviews and terraform/tests see exactly which identity a
# binding names.

resource "google_service_account" "vertex_pipelines" {
  project      = var.project_id
  account_id   = "vertex-pipelines"
  display_name = "Vertex AI PipelineJobs"
  description  = "Runs the pipelines' steps (config gcp.service_account)."
}

resource "google_service_account" "model_serving" {
  project      = var.project_id
  account_id   = "model-serving"
  display_name = "Deployed models"
  description  = "The identity of models deployed on Vertex AI endpoints (config serving.service_account)."
}

resource "google_service_account" "cloud_build" {
  project      = var.project_id
  account_id   = "mlops-cloud-build"
  display_name = "Cloud Build CI/CD"
  description  = "Pull-request checks, image and spec builds, deploy records and promotion."
}

resource "google_service_account" "terraform" {
  project      = var.project_id
  account_id   = "mlops-terraform"
  display_name = "Terraform"
  description  = "The Cloud Build trigger that runs terraform plan and apply; the only admin identity."
}

resource "google_service_account" "pipeline_triggers" {
  project      = var.project_id
  account_id   = "pipeline-triggers"
  display_name = "Pipeline trigger functions"
  description  = "Runtime identity of the scheduled-run, new-data-run and drift-run Cloud Functions."
}

resource "google_service_account" "pipeline_scheduler" {
  project      = var.project_id
  account_id   = "pipeline-scheduler"
  display_name = "Cloud Scheduler"
  description  = "OIDC identity of the Cloud Scheduler jobs that call the scheduled-run function."
}
