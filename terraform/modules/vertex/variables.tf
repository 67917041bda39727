variable "project_id" {
  description = "The project of the stores."
  type        = string
}

variable "region" {
  description = "The stores' region (the pipelines' region)."
  type        = string
}

variable "online_store_name" {
  description = "Feature Store online store name: the online_store parameter of feature_store_uri."
  type        = string
  default     = "online"
}

variable "online_store_min_nodes" {
  description = "Bigtable nodes the online store keeps at least."
  type        = number
  default     = 1
}

variable "online_store_max_nodes" {
  description = "Bigtable nodes the online store scales up to."
  type        = number
  default     = 2
}

variable "metadata_store_name" {
  description = "Metadata store name; the Vertex AI SDK and pipelines use \"default\"."
  type        = string
  default     = "default"
}

variable "labels" {
  description = "Labels set on the online store."
  type        = map(string)
  default     = {}
}
