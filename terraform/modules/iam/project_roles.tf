# Project-level roles: only those Google offers at no narrower scope. Everything that can be
# granted on a bucket, a repository, a dataset or a service account is granted there instead
# (resource_roles.tf). No primitive role (owner, editor, viewer) and no project-wide
# roles/storage.admin: terraform/tests/test_iam.py fails the build on either.

resource "google_project_iam_member" "vertex_pipelines" {
  for_each = toset([
    # Create Vertex AI custom jobs, models, endpoints and metadata: Vertex AI has no
    # resource-level IAM for creating these.
    "roles/aiplatform.user",
    # Run BigQuery jobs (reading bq:// training data, writing features). Jobs exist only at project
    # level; which tables a job may read or write is granted per dataset.
    "roles/bigquery.jobUser",
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.vertex_pipelines.member
}

resource "google_project_iam_member" "cloud_build" {
  for_each = toset([
    # A build that runs as a user-managed service account must write its logs to Cloud Logging;
    # log writing cannot be granted on anything narrower than the project. Nothing else: images,
    # specs and deploy records are written through repository- and bucket-scoped grants.
    "roles/logging.logWriter",
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.cloud_build.member
}

resource "google_project_iam_member" "pipeline_triggers" {
  for_each = toset([
    # Submit PipelineJobs (as vertex-pipelines, through the serviceAccountUser grant on that
    # account only), and list them (the drift function's pause between retrains).
    "roles/aiplatform.user",
    # Eventarc delivers the new-data event only if the trigger's identity holds this role, which
    # exists only at project level.
    "roles/eventarc.eventReceiver",
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.pipeline_triggers.member
}

# Cloud Storage publishes object events to Pub/Sub for Eventarc as its own Google-managed agent;
# Google documents this project-level grant as required for Cloud Storage triggers.
data "google_storage_project_service_account" "gcs_agent" {
  project = var.project_id
}

resource "google_project_iam_member" "gcs_agent_publishes_events" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = data.google_storage_project_service_account.gcs_agent.member
}

# mlops-terraform creates and changes every resource here, so it needs admin roles; it is kept
# apart from the build identity, runs only from the terraform trigger (approval required in prod),
# and gets no primitive role and no roles/storage.admin.
resource "google_project_iam_member" "terraform" {
  #checkov:skip=CKV_GCP_49:mlops-terraform creates the six service accounts (iam.serviceAccountAdmin) and the Cloud Build triggers that run as them (cloudbuild.builds.editor); it is the one admin identity, used only by the terraform trigger, with approval in prod.
  for_each = toset([
    "roles/serviceusage.serviceUsageAdmin",       # modules/apis
    "roles/iam.serviceAccountAdmin",              # the service accounts and their IAM
    "roles/iam.roleAdmin",                        # the custom bucket role below
    "roles/resourcemanager.projectIamAdmin",      # the project-level grants in this file
    "roles/artifactregistry.admin",               # repositories and their IAM
    "roles/bigquery.dataOwner",                   # datasets and their access lists
    "roles/aiplatform.admin",                     # Feature Store online store, Metadata store
    "roles/notebooks.admin",                      # the Workbench instance
    "roles/cloudfunctions.admin",                 # the trigger functions
    "roles/run.admin",                            # invoker grants on the functions' Cloud Run services
    "roles/eventarc.admin",                       # the new-data function's event trigger
    "roles/cloudscheduler.admin",                 # scheduled runs
    "roles/cloudbuild.builds.editor",             # Cloud Build triggers
    "roles/logging.configWriter",                 # log-based metrics, the drift log sink
    "roles/pubsub.admin",                         # the drift topic and the sink's publish grant on it
    "roles/logging.logWriter",                    # its own build logs
    "roles/monitoring.alertPolicyEditor",         # alert policies
    "roles/monitoring.notificationChannelEditor", # the e-mail channel
  ])

  project = var.project_id
  role    = each.value
  member  = google_service_account.terraform.member
}

# Bucket administration without roles/storage.admin: create, configure and set IAM on buckets,
# with no access to objects (object access is granted per bucket: the state bucket and the bucket
# of function sources, in resource_roles.tf).
resource "google_project_iam_custom_role" "terraform_buckets" {
  project     = var.project_id
  role_id     = "mlopsTerraformBuckets"
  title       = "vertex-mlops Terraform bucket administration"
  description = "Manage buckets and their IAM; no object access. Used instead of roles/storage.admin."
  permissions = [
    "storage.buckets.create",
    "storage.buckets.delete",
    "storage.buckets.get",
    "storage.buckets.getIamPolicy",
    "storage.buckets.list",
    "storage.buckets.setIamPolicy",
    "storage.buckets.update",
  ]
}

resource "google_project_iam_member" "terraform_buckets" {
  project = var.project_id
  role    = google_project_iam_custom_role.terraform_buckets.id
  member  = google_service_account.terraform.member
}
