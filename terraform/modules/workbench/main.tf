# An optional Vertex AI Workbench instance for exploring data and runs with the pipelines'
# permissions. No public IP, Shielded VM, root access and downloads governed by variables.
resource "google_workbench_instance" "this" {
  #checkov:skip=CKV2_GCP_27:Google-managed disk encryption, as for all platform data; a customer-managed key (KMS) would be a project-wide decision, not one instance's.
  count = var.enabled ? 1 : 0

  project         = var.project_id
  location        = var.zone
  name            = var.name
  instance_owners = var.owners
  labels          = var.labels

  gce_setup {
    machine_type      = var.machine_type
    disable_public_ip = true

    # Notebooks act as the pipelines' identity, so what works here works in a pipeline step.
    service_accounts {
      email = var.service_account_email
    }

    shielded_instance_config {
      enable_secure_boot          = true
      enable_vtpm                 = true
      enable_integrity_monitoring = true
    }

    network_interfaces {
      network = var.network
      subnet  = var.subnetwork
    }

    metadata = {
      "notebook-disable-root" = "true"
      # Idle instances stop themselves (seconds), which bounds the cost of a forgotten notebook.
      "idle-timeout-seconds" = tostring(var.idle_timeout_seconds)
    }
  }
}
