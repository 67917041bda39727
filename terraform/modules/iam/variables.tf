variable "project_id" {
  description = "The project of the service accounts and of every grant."
  type        = string
}

variable "location" {
  description = "Region of the Artifact Registry repositories."
  type        = string
}

variable "buckets" {
  description = "Bucket role => bucket name, as created by modules/storage."
  type        = map(string)
}

variable "docker_repository" {
  description = "Short name of the Docker repository."
  type        = string
}

variable "kfp_repository" {
  description = "Short name of the KFP repository."
  type        = string
}

variable "datasets" {
  description = "BigQuery dataset ids by key: serving_logs and features."
  type        = map(string)
}

variable "terraform_state_bucket" {
  description = "The bucket of the Terraform state (created by hand before the first apply)."
  type        = string
}

variable "promotion_readers" {
  description = "Members (serviceAccount:...) of the next environment's build that may read this one's images, specs and deploy records to promote them."
  type        = list(string)
  default     = []
}
