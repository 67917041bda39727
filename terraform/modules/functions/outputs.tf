output "scheduled_run_uri" {
  description = "The HTTP function's URL (Cloud Scheduler's target and OIDC audience)."
  value       = google_cloudfunctions2_function.this["scheduled-run"].service_config[0].uri
}

output "new_data_run_name" {
  description = "The new-data function's name, or null when it is not created."
  value       = try(google_cloudfunctions2_function.this["new-data-run"].name, null)
}

output "drift_run_name" {
  description = "The drift function's name, or null when it is not created."
  value       = try(google_cloudfunctions2_function.this["drift-run"].name, null)
}

output "drift_topic" {
  description = "The topic the drift sink publishes to, or null when retraining on drift is off."
  value       = try(google_pubsub_topic.drift[0].id, null)
}
