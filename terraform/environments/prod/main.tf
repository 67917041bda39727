# The prod environment: modules/platform with prod's settings (terraform.tfvars).
module "platform" {
  source   = "../../modules/platform"
  settings = var.settings
}
