output "dataset_ids" {
  description = "Dataset key => dataset id (created)."
  value       = { for key, dataset in google_bigquery_dataset.this : key => dataset.dataset_id }
}
