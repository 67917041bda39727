output "metrics" {
  description = "The log-based metrics' names."
  value       = [google_logging_metric.pipeline_failures.name, google_logging_metric.serving_errors.name]
}

output "alert_policies" {
  description = "Alert policy ids by name."
  value       = { for name, policy in google_monitoring_alert_policy.this : name => policy.id }
}
