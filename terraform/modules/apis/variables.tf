variable "project_id" {
  description = "The project in which to enable the APIs."
  type        = string
}

variable "services" {
  description = "API service names to enable, e.g. aiplatform.googleapis.com."
  type        = list(string)
}
