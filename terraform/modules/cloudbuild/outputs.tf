output "triggers" {
  description = "Trigger name => trigger id."
  value = { for trigger in concat(
    google_cloudbuild_trigger.pull_request,
    values(google_cloudbuild_trigger.on_push),
    google_cloudbuild_trigger.promote,
  ) : trigger.name => trigger.trigger_id }
}
