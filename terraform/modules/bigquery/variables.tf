variable "project_id" {
  description = "The project that owns the datasets."
  type        = string
}

variable "location" {
  description = "Dataset location (the pipelines' region)."
  type        = string
}

variable "datasets" {
  description = "Dataset key (serving_logs, features) => dataset id."
  type        = map(string)
}

variable "descriptions" {
  description = "Dataset key => description."
  type        = map(string)
  default = {
    serving_logs = "Vertex AI endpoint request-response logs (serving.request_logging)."
    features     = "Offline feature tables (feature_store_uri), read by training and batch prediction."
  }
}

variable "table_expiration_days" {
  description = "Dataset key => days after which new tables expire; unset keeps tables."
  type        = map(number)
  default     = {}
}

variable "labels" {
  description = "Labels set on every dataset."
  type        = map(string)
  default     = {}
}
