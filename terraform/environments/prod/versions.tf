terraform {
  # optional() object attributes with defaults, and preconditions, need Terraform 1.3+; 1.5 is the
  # oldest release we test fmt with.
  required_version = ">= 1.5"

  required_providers {
    google = {
      source = "hashicorp/google"
      # Exact: a provider upgrade is a reviewed change (terraform init -upgrade, then plan).
      version = "6.49.2"
    }
  }

  # The state bucket is created by hand before the first apply and passed at init:
  #   terraform init -backend-config="bucket=acme-mlops-prod-tfstate"
  # (docs/terraform.md). The prefix keeps each environment's state apart.
  backend "gcs" {
    prefix = "vertex-mlops/prod"
  }
}

provider "google" {
  project = var.settings.project_id
  region  = var.settings.region
}
