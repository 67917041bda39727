variable "enabled" {
  description = "Create the Workbench instance."
  type        = bool
  default     = false
}

variable "project_id" {
  description = "The project of the instance."
  type        = string
}

variable "zone" {
  description = "The instance's zone, e.g. europe-west2-a."
  type        = string
}

variable "name" {
  description = "Instance name."
  type        = string
  default     = "vertex-mlops"
}

variable "machine_type" {
  description = "Compute Engine machine type."
  type        = string
  default     = "e2-standard-4"
}

variable "owners" {
  description = "User e-mails allowed to open the instance (Workbench allows one owner in single-user mode)."
  type        = list(string)
  default     = []
}

variable "service_account_email" {
  description = "The instance's identity: the vertex-pipelines account."
  type        = string
}

variable "network" {
  description = "VPC network (projects/P/global/networks/N). With no public IP, it needs Private Google Access or Cloud NAT."
  type        = string
}

variable "subnetwork" {
  description = "Subnetwork (projects/P/regions/R/subnetworks/S) in the instance's region."
  type        = string
}

variable "idle_timeout_seconds" {
  description = "Stop the instance after this long idle."
  type        = number
  default     = 10800
}

variable "labels" {
  description = "Labels set on the instance."
  type        = map(string)
  default     = {}
}
