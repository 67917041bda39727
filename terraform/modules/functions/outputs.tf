output "scheduled_run_uri" {
  description = "The HTTP function's URL (Cloud Scheduler's target and OIDC audience)."
  value       = google_cloudfunctions2_function.this["scheduled-run"].service_config[0].uri
}

output "new_data_run_name" {
  description = "The new-data function's name, or null when it is not created."
  value       = try(google_cloudfunctions2_function.this["new-data-run"].name, null)
}
