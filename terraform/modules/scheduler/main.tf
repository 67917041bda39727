# One Cloud Scheduler job per scheduled pipeline. Each POSTs {"pipeline": NAME} to the
# scheduled-run function with an OIDC token of pipeline-scheduler (the only identity allowed to
# invoke it).
resource "google_cloud_scheduler_job" "this" {
  for_each = var.pipelines

  project          = var.project_id
  region           = var.region
  name             = "run-${each.key}"
  description      = "Starts the ${each.key} pipeline (config/pipelines, name: ${each.key})."
  schedule         = each.value.schedule
  time_zone        = each.value.time_zone
  attempt_deadline = "180s"

  # The function answers 4xx for a request it refuses; retrying those is pointless, and a run that
  # did start must not be started again: no retries.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = var.function_uri
    headers     = { "Content-Type" = "application/json" }
    body        = base64encode(jsonencode({ pipeline = each.key }))

    oidc_token {
      service_account_email = var.service_account_email
      audience              = var.function_uri
    }
  }
}
