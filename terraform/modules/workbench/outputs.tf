output "proxy_uri" {
  description = "The JupyterLab URL, or null when no instance is created."
  value       = one(google_workbench_instance.this[*].proxy_uri)
}
