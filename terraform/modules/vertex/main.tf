# Vertex AI stores the project's code expects: the Feature Store online store that
# feature_store_uri names (online_store=online) and the Metadata store that records lineage
# (the SDK uses the store named "default").
resource "google_vertex_ai_feature_online_store" "this" {
  project = var.project_id
  region  = var.region
  name    = var.online_store_name
  labels  = var.labels

  # Bigtable-backed serving scales with load between these bounds.
  bigtable {
    auto_scaling {
      min_node_count         = var.online_store_min_nodes
      max_node_count         = var.online_store_max_nodes
      cpu_utilization_target = 60
    }
  }
}

resource "google_vertex_ai_metadata_store" "this" {
  #checkov:skip=CKV_GCP_96:Google-managed encryption is used for all platform data; a customer-managed key (KMS) would be a project-wide decision, not one store's.
  project     = var.project_id
  region      = var.region
  name        = var.metadata_store_name
  description = "vertex-mlops pipeline lineage (artifacts, executions, contexts)."
}
