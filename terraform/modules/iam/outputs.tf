locals {
  accounts = [
    google_service_account.vertex_pipelines,
    google_service_account.model_serving,
    google_service_account.cloud_build,
    google_service_account.terraform,
    google_service_account.pipeline_triggers,
    google_service_account.pipeline_scheduler,
  ]
}

output "emails" {
  description = "Service account e-mails by account id."
  value       = { for account in local.accounts : account.account_id => account.email }
}

output "ids" {
  description = "Service account resource ids (projects/P/serviceAccounts/EMAIL) by account id, as Cloud Build triggers and function builds want them."
  value       = { for account in local.accounts : account.account_id => account.id }
}
