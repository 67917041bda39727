output "service_accounts" {
  description = "Service account e-mails by account id."
  value       = module.iam.emails
}

output "buckets" {
  description = "Bucket role => gs:// URL."
  value       = module.storage.urls
}

output "docker_registry" {
  description = "config images.registry."
  value       = module.artifact_registry.docker_registry
}

output "kfp_repository_url" {
  description = "config delivery.kfp_repository."
  value       = module.artifact_registry.kfp_repository_url
}

output "scheduled_run_uri" {
  description = "URL of the scheduled-run function."
  value       = module.functions.scheduled_run_uri
}

output "drift_topic" {
  description = "The Pub/Sub topic monitoring's drift alerts go to (settings.retrain_on_drift), or null."
  value       = module.functions.drift_topic
}

output "cloudbuild_triggers" {
  description = "Cloud Build trigger name => id."
  value       = try(module.cloudbuild[0].triggers, {})
}

output "workbench_uri" {
  description = "JupyterLab URL of the Workbench instance, or null."
  value       = module.workbench.proxy_uri
}
