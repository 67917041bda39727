# The two pipeline trigger functions (functions/triggers, docs in the functions' README):
# scheduled-run (HTTP, called by Cloud Scheduler) and new-data-run (CloudEvent: an object finalized
# in the data bucket, through Eventarc). Their source archives are the zips Pants packages
# (./pants package functions/triggers:scheduled-run functions/triggers:new-data-run), uploaded
# under a content-addressed name so that a changed archive redeploys the function.

locals {
  archives = {
    scheduled-run = "${var.dist_dir}/scheduled-run.zip"
    new-data-run  = "${var.dist_dir}/new-data-run.zip"
  }

  # Read per request by the functions (never at import), see the delivery contract.
  common_env = {
    MLOPS_PROJECT         = var.project_id
    MLOPS_REGION          = var.region
    MLOPS_PIPELINE_ROOT   = var.pipeline_root
    MLOPS_SERVICE_ACCOUNT = var.pipeline_service_account_email
    MLOPS_SPECS_URI       = var.specs_uri
  }
}

resource "google_storage_bucket_object" "source" {
  for_each = var.new_data_run == null ? { scheduled-run = local.archives.scheduled-run } : local.archives

  bucket = var.source_bucket
  # fileexists: a plan without the archives says how to build them (precondition below) instead
  # of failing inside filemd5.
  name   = "functions/${each.key}-${fileexists(each.value) ? filemd5(each.value) : "missing"}.zip"
  source = each.value

  lifecycle {
    precondition {
      condition     = fileexists(each.value)
      error_message = "${each.value} does not exist: run ./pants package functions/triggers:scheduled-run functions/triggers:new-data-run at the repository root first."
    }
  }
}

resource "google_cloudfunctions2_function" "scheduled_run" {
  #checkov:skip=CKV_GCP_124:Cloud Scheduler's calls do not count as internal traffic outside a VPC Service Controls perimeter; access is closed by IAM instead: only pipeline-scheduler holds run.invoker, and there is no allUsers grant.
  project     = var.project_id
  location    = var.region
  name        = "scheduled-run"
  description = "Starts the pipeline a Cloud Scheduler job names ({\"pipeline\": NAME})."
  labels      = var.labels

  build_config {
    runtime         = "python311"
    entry_point     = "start_scheduled_run"
    service_account = var.build_service_account_id
    # Build images go to the project's repository, where mlops-cloud-build may write.
    docker_repository = var.docker_repository_id
    source {
      storage_source {
        bucket = var.source_bucket
        object = google_storage_bucket_object.source["scheduled-run"].name
      }
    }
  }

  service_config {
    service_account_email = var.runtime_service_account_email
    # Cloud Scheduler calls from outside the project's network; only callers holding run.invoker
    # on this function (pipeline-scheduler) get through.
    ingress_settings   = "ALLOW_ALL"
    max_instance_count = var.max_instances
    available_memory   = "512M"
    timeout_seconds    = 120
    environment_variables = merge(local.common_env, {
      MLOPS_PIPELINES = join(",", var.scheduled_pipelines)
    })
  }
}

# Only the scheduler's identity may call the HTTP function (a 2nd-gen function is served by a
# Cloud Run service: invocation is run.invoker on that service, not a project-wide grant).
resource "google_cloud_run_v2_service_iam_member" "scheduler_invokes" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.scheduled_run.service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${var.invoker_service_account_email}"
}

resource "google_cloudfunctions2_function" "new_data_run" {
  count = var.new_data_run == null ? 0 : 1

  project     = var.project_id
  location    = var.region
  name        = "new-data-run"
  description = "Starts ${var.new_data_run.pipeline} when an object is finalized under ${var.new_data_run.prefix}."
  labels      = var.labels

  build_config {
    runtime           = "python311"
    entry_point       = "start_run_on_new_data"
    service_account   = var.build_service_account_id
    docker_repository = var.docker_repository_id
    source {
      storage_source {
        bucket = var.source_bucket
        object = google_storage_bucket_object.source["new-data-run"].name
      }
    }
  }

  service_config {
    service_account_email = var.runtime_service_account_email
    # Eventarc delivers from inside Google's network; nothing else needs to reach this function.
    ingress_settings   = "ALLOW_INTERNAL_ONLY"
    max_instance_count = var.max_instances
    available_memory   = "512M"
    timeout_seconds    = 120
    environment_variables = merge(local.common_env, {
      MLOPS_PIPELINE       = var.new_data_run.pipeline
      MLOPS_DATA_PREFIX    = "gs://${var.data_bucket}/${var.new_data_run.prefix}"
      MLOPS_DATA_PARAMETER = var.new_data_run.parameter
    })
  }

  # Every object finalized in the data bucket is delivered; the function ignores objects outside
  # MLOPS_DATA_PREFIX (Eventarc cannot filter Cloud Storage events on a name prefix).
  event_trigger {
    trigger_region        = var.region
    event_type            = "google.cloud.storage.object.v1.finalized"
    service_account_email = var.runtime_service_account_email
    # The function derives the job id from the event id, so a redelivery starts no second run;
    # retries are still off by default so that a persistent failure cannot loop for a day.
    retry_policy = var.new_data_retry ? "RETRY_POLICY_RETRY" : "RETRY_POLICY_DO_NOT_RETRY"
    event_filters {
      attribute = "bucket"
      value     = var.data_bucket
    }
  }
}

# Eventarc calls the function as the trigger's identity, which must hold run.invoker on it.
resource "google_cloud_run_v2_service_iam_member" "eventarc_invokes" {
  count = var.new_data_run == null ? 0 : 1

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.new_data_run[0].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${var.runtime_service_account_email}"
}
