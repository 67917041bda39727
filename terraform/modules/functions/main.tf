# The pipeline trigger functions (functions/triggers, package `triggers`): scheduled-run (HTTP,
# called by Cloud Scheduler), new-data-run (CloudEvent: an object finalized in the data bucket,
# through Eventarc) and drift-run (CloudEvent: a monitoring alert whose features crossed, through
# a log sink, Pub/Sub and Eventarc: drift.tf). Their source archives are the zips Pants packages
# (./pants package functions/triggers:scheduled-run functions/triggers:new-data-run
# functions/triggers:drift-run), uploaded under a content-addressed name so that a changed archive
# redeploys the function.

locals {
  archives = {
    scheduled-run = "${var.dist_dir}/scheduled-run.zip"
    new-data-run  = "${var.dist_dir}/new-data-run.zip"
    drift-run     = "${var.dist_dir}/drift-run.zip"
  }

  # Read per request by the functions (never at import), see the delivery contract.
  common_env = {
    MLOPS_PROJECT         = var.project_id
    MLOPS_REGION          = var.region
    MLOPS_PIPELINE_ROOT   = var.pipeline_root
    MLOPS_SERVICE_ACCOUNT = var.pipeline_service_account_email
    MLOPS_SPECS_URI       = var.specs_uri
  }

  # Entry point, ingress, environment and event of each function; the new-data one only when
  # var.new_data_run is set, the drift one only when var.retrain_on_drift maps a model. (tomap:
  # the entries then have one type, so this is a map; an HTTP function's event_type is "".)
  functions = merge(
    {
      scheduled-run = {
        description = "Starts the pipeline a Cloud Scheduler job names ({\"pipeline\": NAME})."
        entry_point = "start_scheduled_run"
        # Cloud Scheduler calls from outside the project's network; only callers holding
        # run.invoker on this function (pipeline-scheduler) get through.
        ingress     = "ALLOW_ALL"
        environment = tomap({ MLOPS_PIPELINES = join(",", var.scheduled_pipelines) })
        invoker     = var.invoker_service_account_email
        event_type  = ""
        event_topic = ""
        retry       = false
      }
    },
    var.new_data_run == null ? {} : {
      new-data-run = {
        description = "Starts ${var.new_data_run.pipeline} when an object is finalized under ${var.new_data_run.prefix}."
        entry_point = "start_run_on_new_data"
        # Eventarc delivers from inside Google's network; nothing else needs to reach this function.
        ingress = "ALLOW_INTERNAL_ONLY"
        environment = tomap({
          MLOPS_PIPELINE       = var.new_data_run.pipeline
          MLOPS_DATA_PREFIX    = "gs://${var.data_bucket}/${var.new_data_run.prefix}"
          MLOPS_DATA_PARAMETER = var.new_data_run.parameter
        })
        # Eventarc calls the function as the trigger's identity, which must hold run.invoker on it.
        invoker    = var.runtime_service_account_email
        event_type = "google.cloud.storage.object.v1.finalized"
        # Every object finalized in the data bucket is delivered; the function ignores objects
        # outside MLOPS_DATA_PREFIX (Eventarc cannot filter Cloud Storage events on a name prefix).
        event_topic = ""
        retry       = var.new_data_retry
      }
    },
    length(var.retrain_on_drift) == 0 ? {} : {
      drift-run = {
        description = "Retrains a model (${join(", ", sort(keys(var.retrain_on_drift)))}) when monitoring finds its features crossed a skew or drift threshold."
        entry_point = "start_run_on_drift"
        ingress     = "ALLOW_INTERNAL_ONLY"
        environment = tomap({
          MLOPS_RETRAIN_PIPELINES      = jsonencode(var.retrain_on_drift)
          MLOPS_RETRAIN_COOLDOWN_HOURS = tostring(var.retrain_cooldown_hours)
        })
        invoker    = var.runtime_service_account_email
        event_type = "google.cloud.pubsub.topic.v1.messagePublished"
        # The topic the log sink publishes drift alerts to (drift.tf).
        event_topic = google_pubsub_topic.drift[0].id
        retry       = var.drift_retry
      }
    },
  )
}

resource "google_storage_bucket_object" "source" {
  for_each = local.functions

  bucket = var.source_bucket
  # fileexists: a plan without the archives says how to build them (precondition below) instead
  # of failing inside filemd5.
  name   = "functions/${each.key}-${fileexists(local.archives[each.key]) ? filemd5(local.archives[each.key]) : "missing"}.zip"
  source = local.archives[each.key]

  lifecycle {
    precondition {
      condition     = fileexists(local.archives[each.key])
      error_message = "${local.archives[each.key]} does not exist: run ./pants package functions/triggers:scheduled-run functions/triggers:new-data-run functions/triggers:drift-run at the repository root first."
    }
  }
}

resource "google_cloudfunctions2_function" "this" {
  for_each = local.functions
  #checkov:skip=CKV_GCP_124:scheduled-run allows all ingress because Cloud Scheduler's calls do not count as internal traffic outside a VPC Service Controls perimeter; access is closed by IAM instead: only pipeline-scheduler holds run.invoker, and there is no allUsers grant. new-data-run and drift-run are internal only.

  project     = var.project_id
  location    = var.region
  name        = each.key
  description = each.value.description
  labels      = var.labels

  build_config {
    runtime         = "python311"
    entry_point     = each.value.entry_point
    service_account = var.build_service_account_id
    # Build images go to the project's repository, where mlops-cloud-build may write.
    docker_repository = var.docker_repository_id
    source {
      storage_source {
        bucket = var.source_bucket
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  service_config {
    service_account_email = var.runtime_service_account_email
    ingress_settings      = each.value.ingress
    max_instance_count    = var.max_instances
    available_memory      = "512M"
    timeout_seconds       = 120
    environment_variables = merge(local.common_env, each.value.environment)
  }

  dynamic "event_trigger" {
    for_each = each.value.event_type == "" ? [] : [1]
    content {
      trigger_region        = var.region
      event_type            = each.value.event_type
      pubsub_topic          = each.value.event_topic == "" ? null : each.value.event_topic
      service_account_email = var.runtime_service_account_email
      # The functions derive job ids from what identifies the event (its id, or the alert's key),
      # so a redelivery starts no second run; retries are still off by default so that a
      # persistent failure cannot loop for a day.
      retry_policy = each.value.retry ? "RETRY_POLICY_RETRY" : "RETRY_POLICY_DO_NOT_RETRY"
      dynamic "event_filters" {
        for_each = each.value.event_type == "google.cloud.storage.object.v1.finalized" ? [var.data_bucket] : []
        content {
          attribute = "bucket"
          value     = event_filters.value
        }
      }
    }
  }
}

# A 2nd-gen function is served by a Cloud Run service: invoking it is run.invoker on that service,
# granted to the one identity that calls it (not project-wide).
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.functions

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${each.value.invoker}"
}
