# Retraining on drift (docs/triggers.md): monitoring raises one alert per model, version and window
# through mlops.alerts' LogChannel, a log entry with the alert in jsonPayload.alert. A sink sends the
# entries whose skew or drift crossed (a non-empty fields.crossed_features) to a Pub/Sub topic, and
# Eventarc delivers each message to drift-run. Health-only alerts (a slow or failing server) stay
# out: a new model would not fix them. Created only when var.retrain_on_drift maps a model.

locals {
  drift_enabled = length(var.retrain_on_drift) > 0
  # The alert's key starts with "monitoring:" (mlops.monitoring.outputs.alert_for); run-end
  # notifications through the same channel have other keys. =~ matches only when the field exists,
  # and "." (any character) rejects the "" of a health-only alert.
  drift_filter = join(" AND ", [
    "severity>=WARNING",
    "jsonPayload.alert.key=~\"^monitoring:\"",
    "jsonPayload.alert.fields.crossed_features=~\".\"",
  ])
}

resource "google_pubsub_topic" "drift" {
  count = local.drift_enabled ? 1 : 0
  #checkov:skip=CKV_GCP_83:Google-managed encryption is used for all platform data; a customer-managed key (KMS) would be a project-wide decision, not one topic's. The messages are alert log entries, already in Cloud Logging.

  project = var.project_id
  name    = "monitoring-drift"
  labels  = var.labels
  # An undelivered alert is worth retrying for a day (Eventarc's own retry window), not a week.
  message_retention_duration = "86400s"
}

resource "google_logging_project_sink" "drift" {
  count = local.drift_enabled ? 1 : 0

  project     = var.project_id
  name        = "monitoring-drift-to-pubsub"
  description = "Monitoring alerts whose skew or drift crossed a threshold, to the topic drift-run listens on."
  destination = "pubsub.googleapis.com/${google_pubsub_topic.drift[0].id}"
  filter      = local.drift_filter
  # The sink writes as its own service account, granted publish on this topic only (below).
  unique_writer_identity = true
}

resource "google_pubsub_topic_iam_member" "drift_sink_publishes" {
  count = local.drift_enabled ? 1 : 0

  project = var.project_id
  topic   = google_pubsub_topic.drift[0].name
  role    = "roles/pubsub.publisher"
  member  = google_logging_project_sink.drift[0].writer_identity
}
