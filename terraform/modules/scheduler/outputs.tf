output "jobs" {
  description = "Pipeline config name => Cloud Scheduler job id."
  value       = { for name, job in google_cloud_scheduler_job.this : name => job.id }
}
