# Failure alerting: three log-based metrics (failed PipelineJobs, 5xx answers of the prediction
# endpoints, alerts raised by model monitoring), an alert policy on each, and one e-mail
# notification channel.

resource "google_logging_metric" "pipeline_failures" {
  project     = var.project_id
  name        = "vertex-mlops/pipeline-failures"
  description = "Vertex AI PipelineJobs that ended in failure."
  # Vertex AI writes a PipelineJob's state changes to Cloud Logging under this resource type.
  filter = "resource.type=\"aiplatform.googleapis.com/PipelineJob\" AND (jsonPayload.state=\"PIPELINE_STATE_FAILED\" OR severity>=ERROR)"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_logging_metric" "serving_errors" {
  project     = var.project_id
  name        = "vertex-mlops/serving-errors"
  description = "Prediction requests answered with a 5xx status by a deployed model."
  # The serving container logs one line per request with an httpRequest record (serve.http);
  # Cloud Logging lifts it into the entry's httpRequest field.
  filter = "resource.type=\"aiplatform.googleapis.com/Endpoint\" AND httpRequest.status>=500"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_logging_metric" "monitoring_alerts" {
  project     = var.project_id
  name        = "vertex-mlops/monitoring-alerts"
  description = "Alerts raised by model monitoring (skew, drift, serving health) and run-end notifications that failed."
  # mlops.alerts' LogChannel writes each alert as one entry with the alert in jsonPayload.alert, at
  # WARNING (a monitoring threshold crossed) or ERROR (a failed run); docs/monitoring.md.
  filter = "jsonPayload.alert.key:* AND severity>=WARNING"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_monitoring_notification_channel" "email" {
  project      = var.project_id
  display_name = "vertex-mlops alerts (${var.environment})"
  type         = "email"
  labels = {
    email_address = var.notification_email
  }
}

locals {
  policies = {
    pipeline-failures = {
      metric        = google_logging_metric.pipeline_failures.name
      title         = "vertex-mlops ${var.environment}: a pipeline run failed"
      documentation = "A Vertex AI PipelineJob failed. Open Vertex AI > Pipelines, find the failed run and its failed step's logs; docs/operations.md has the runbook."
    }
    monitoring-alerts = {
      metric        = google_logging_metric.monitoring_alerts.name
      title         = "vertex-mlops ${var.environment}: model monitoring raised an alert"
      documentation = "A monitoring threshold was crossed (skew, drift or serving health) or a run failed. The log entry's jsonPayload.alert names the model, version, window and what crossed; its report is linked in its fields (docs/monitoring.md). Where settings.retrain_on_drift maps the model and a feature crossed, its training pipeline has already been started, now or within settings.retrain_cooldown_hours (a PipelineJob labelled mlops_trigger=drift; docs/triggers.md)."
    }
    serving-errors = {
      metric        = google_logging_metric.serving_errors.name
      title         = "vertex-mlops ${var.environment}: prediction requests fail (5xx)"
      documentation = "A deployed model answered prediction requests with 5xx. Check the endpoint's logs (resource.type=aiplatform.googleapis.com/Endpoint) and roll back the deploy if it is new (docs/operations.md)."
    }
  }
}

resource "google_monitoring_alert_policy" "this" {
  for_each = local.policies

  project               = var.project_id
  display_name          = each.value.title
  combiner              = "OR"
  notification_channels = [google_monitoring_notification_channel.email.id]

  conditions {
    display_name = "${each.key} > 0"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${each.value.metric}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = var.alignment_period
        per_series_aligner = "ALIGN_SUM"
      }
    }
  }

  documentation {
    content   = each.value.documentation
    mime_type = "text/markdown"
  }

  # An incident closes itself once the metric has been quiet this long.
  alert_strategy {
    auto_close = var.auto_close
  }
}
