variable "project_id" {
  description = "The project that owns the buckets."
  type        = string
}

variable "location" {
  description = "Bucket location: the region of the pipelines, so that steps read and write in-region."
  type        = string
}

variable "buckets" {
  description = "Buckets to create: role (data, pipelines, staging, specs, deploys, monitoring) => globally unique bucket name."
  type        = map(string)

  validation {
    condition     = alltrue([for role in keys(var.buckets) : contains(["data", "pipelines", "staging", "specs", "deploys", "monitoring"], role)])
    error_message = "Bucket roles are data, pipelines, staging, specs, deploys and monitoring (modules/iam grants access by role)."
  }
}

variable "noncurrent_versions_kept" {
  description = "How many older versions of an object to keep besides the live one."
  type        = number
  default     = 3
}

variable "noncurrent_version_days" {
  description = "Days after which an older (non-current) version is deleted, however many there are."
  type        = number
  default     = 30
}

variable "delete_objects_after_days" {
  description = "Bucket role => age in days after which live objects are deleted (scratch buckets only)."
  type        = map(number)
  default     = { staging = 30 }
}

variable "labels" {
  description = "Labels set on every bucket."
  type        = map(string)
  default     = {}
}
