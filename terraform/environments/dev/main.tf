# The dev environment: modules/platform with dev's settings (terraform.tfvars).
module "platform" {
  source   = "../../modules/platform"
  settings = var.settings
}
