output "platform" {
  description = "Service accounts, buckets, registries, function URL, triggers (modules/platform/outputs.tf)."
  value       = module.platform
}
