output "docker_repository" {
  description = "The Docker repository's id (projects/P/locations/L/repositories/R)."
  value       = google_artifact_registry_repository.docker.id
}

output "docker_repository_name" {
  description = "The Docker repository's short name."
  value       = google_artifact_registry_repository.docker.repository_id
}

output "kfp_repository_name" {
  description = "The KFP repository's short name."
  value       = google_artifact_registry_repository.kfp.repository_id
}

output "docker_registry" {
  description = "The images.registry value for config/<env>.yaml."
  value       = "${var.location}-docker.pkg.dev/${var.project_id}"
}

output "kfp_repository_url" {
  description = "The delivery.kfp_repository value for config/<env>.yaml."
  value       = "https://${var.location}-kfp.pkg.dev/${var.project_id}/${google_artifact_registry_repository.kfp.repository_id}"
}
