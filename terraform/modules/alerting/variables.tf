variable "project_id" {
  description = "The project of the metrics, channel and policies."
  type        = string
}

variable "environment" {
  description = "Environment name, shown in alert titles."
  type        = string
}

variable "notification_email" {
  description = "Where alerts are sent."
  type        = string
}

variable "alignment_period" {
  description = "Window over which failures are counted."
  type        = string
  default     = "300s"
}

variable "auto_close" {
  description = "Close an incident after this long without failures."
  type        = string
  default     = "86400s"
}
