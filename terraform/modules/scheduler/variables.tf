variable "project_id" {
  description = "The project of the jobs."
  type        = string
}

variable "region" {
  description = "The jobs' region."
  type        = string
}

variable "pipelines" {
  description = "Pipeline config name => cron schedule and time zone, e.g. churn = { schedule = \"0 6 * * 1\" }."
  type = map(object({
    schedule  = string
    time_zone = optional(string, "Etc/UTC")
  }))
  default = {}
}

variable "function_uri" {
  description = "URL of the scheduled-run function."
  type        = string
}

variable "service_account_email" {
  description = "The OIDC identity of the calls (pipeline-scheduler)."
  type        = string
}
