# Two Artifact Registry repositories: the component and CI images (DOCKER) and the compiled
# pipeline templates (KFP, uploaded by kfp.registry.RegistryClient). Who may read or write them is
# granted per repository in modules/iam.
resource "google_artifact_registry_repository" "docker" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption is used for all platform data; a customer-managed key (KMS) would be a project-wide decision, not one repository's.
  project       = var.project_id
  location      = var.location
  repository_id = var.docker_repository
  format        = "DOCKER"
  description   = "vertex-mlops component and builder images, tagged by Pants' content hash."
  labels        = var.labels

  # Images are referred to by content tag from compiled specs and deploy records; keep them.
  docker_config {
    immutable_tags = var.immutable_tags
  }
}

resource "google_artifact_registry_repository" "kfp" {
  #checkov:skip=CKV_GCP_84:Google-managed encryption, as for the Docker repository above.
  project       = var.project_id
  location      = var.location
  repository_id = var.kfp_repository
  format        = "KFP"
  description   = "vertex-mlops compiled pipeline templates, tagged with the commit and latest."
  labels        = var.labels
}
