# The platform's buckets (data, pipelines, staging, specs, deploys, monitoring). Every bucket: uniform
# bucket-level access (IAM only, no object ACLs), public access prevented, object versioning, and
# lifecycle rules that bound what versioning keeps. Access is granted per bucket in modules/iam.
resource "google_storage_bucket" "this" {
  for_each = var.buckets
  #checkov:skip=CKV_GCP_62:Access logs would need one more bucket per environment; Cloud Audit Logs (data access) is the supported way to audit reads and writes and is enabled per project, not per bucket.

  project                     = var.project_id
  name                        = each.value
  location                    = var.location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # Buckets hold training data, model artifacts and deploy records: never deleted with their objects.
  force_destroy = false

  versioning {
    enabled = true
  }

  # Versioning keeps overwritten and deleted objects: keep a few recent versions for recovery,
  # and drop older ones so storage does not grow without bound.
  lifecycle_rule {
    condition {
      num_newer_versions = var.noncurrent_versions_kept
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.noncurrent_version_days
    }
    action {
      type = "Delete"
    }
  }

  # Live objects expire only in buckets given a lifetime (the staging bucket's scratch files).
  dynamic "lifecycle_rule" {
    for_each = contains(keys(var.delete_objects_after_days), each.key) ? [var.delete_objects_after_days[each.key]] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  labels = var.labels
}
