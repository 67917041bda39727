variable "project_id" {
  description = "The project that owns the repositories."
  type        = string
}

variable "location" {
  description = "Repository region (images.registry is LOCATION-docker.pkg.dev/PROJECT)."
  type        = string
}

variable "docker_repository" {
  description = "Repository id of the Docker repository (config images.repository)."
  type        = string
}

variable "kfp_repository" {
  description = "Repository id of the KFP repository (the last path segment of delivery.kfp_repository)."
  type        = string
}

variable "immutable_tags" {
  description = "Refuse to move an existing tag. Off by default: the builder image and `latest` tags are moved on purpose."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels set on both repositories."
  type        = map(string)
  default     = {}
}
