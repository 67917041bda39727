# BigQuery datasets: serving_logs (Vertex AI request-response logging writes the predictions table
# itself: serving.request_logging.bigquery_table) and features (the offline feature tables that
# feature_store_uri names). Access is granted per dataset in modules/iam.
resource "google_bigquery_dataset" "this" {
  for_each = var.datasets
  #checkov:skip=CKV_GCP_81:Google-managed encryption is used for all platform data; a customer-managed key (KMS) would be a project-wide decision, not one dataset's.

  project     = var.project_id
  dataset_id  = each.value
  location    = var.location
  description = lookup(var.descriptions, each.key, null)
  labels      = var.labels

  # Tables hold logged predictions and features: destroying the dataset must not drop them.
  delete_contents_on_destroy = false
  # null keeps tables forever; serving logs may be given a retention in days (GDPR, cost).
  default_table_expiration_ms = lookup(var.table_expiration_days, each.key, null) == null ? null : var.table_expiration_days[each.key] * 86400000
}
