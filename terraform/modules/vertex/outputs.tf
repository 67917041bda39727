output "online_store" {
  description = "The Feature Store online store's resource id."
  value       = google_vertex_ai_feature_online_store.this.id
}

output "metadata_store" {
  description = "The Metadata store's resource id."
  value       = google_vertex_ai_metadata_store.this.id
}
