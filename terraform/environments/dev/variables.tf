variable "settings" {
  description = "This environment's values (terraform.tfvars); typed and described in modules/platform/variables.tf."
  type        = any
}
