output "scheduled_run_uri" {
  description = "The HTTP function's URL (Cloud Scheduler's target and OIDC audience)."
  value       = google_cloudfunctions2_function.scheduled_run.service_config[0].uri
}

output "new_data_run_name" {
  description = "The new-data function's name, or null when it is not created."
  value       = one(google_cloudfunctions2_function.new_data_run[*].name)
}
