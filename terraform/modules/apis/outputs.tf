output "services" {
  description = "The enabled services; depend on this output to order resources after their API."
  value       = sort([for service in google_project_service.this : service.service])
}
