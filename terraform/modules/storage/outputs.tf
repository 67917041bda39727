output "names" {
  description = "Bucket role => bucket name (created)."
  value       = { for role, bucket in google_storage_bucket.this : role => bucket.name }
}

output "urls" {
  description = "Bucket role => gs:// URL."
  value       = { for role, bucket in google_storage_bucket.this : role => bucket.url }
}
