# Declared here so that terraform.tfvars can set them; each is documented, typed and defaulted in
# modules/platform/variables.tf, which checks the values.
variable "project_id" { type = string }
variable "region" { type = string }
variable "environment" { type = string }
variable "buckets" { type = map(string) }
variable "pipeline_root" { type = string }
variable "specs_uri" { type = string }
variable "docker_repository" { type = string }
variable "kfp_repository" { type = string }
variable "datasets" { type = map(string) }
variable "feature_online_store" { type = string }
variable "terraform_state_bucket" { type = string }
variable "repository" { type = any }
variable "notification_email" { type = string }
variable "online_store_max_nodes" {
  type    = number
  default = 2
}
variable "promotion_readers" {
  type    = list(string)
  default = []
}
variable "scheduled_pipelines" {
  type    = any
  default = {}
}
variable "new_data_run" {
  type    = any
  default = null
}
variable "pull_request_checks" {
  type    = bool
  default = false
}
variable "deploy_on_push" {
  type    = bool
  default = false
}
variable "require_approval" {
  type    = bool
  default = false
}
variable "promote_from" {
  type    = string
  default = null
}
variable "workbench" {
  type    = any
  default = { enabled = false }
}
