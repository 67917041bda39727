"""Least privilege, checked on the code: no primitive role anywhere, no project-wide
roles/storage.admin, the contract's six service accounts, and mlops-cloud-build holds no
project-level role but the justified ones.

Each check also runs on small hand-written bad snippets, to show that it can fail.
"""

from __future__ import annotations

from typing import Any

import pytest

from terraform_files import (
    CONTRACT_ACCOUNTS,
    TERRAFORM,
    blocks,
    forbidden_project_grants,
    load_all,
    parse_file,
    parse_text,
    primitive_roles_anywhere,
    project_grants,
    service_accounts,
    unquote,
)

# The only project-level roles mlops-cloud-build may hold, each justified where it is granted
# (terraform/modules/iam/project_roles.tf). Everything else it needs is scoped to a bucket or a
# repository.
CLOUD_BUILD_PROJECT_ROLES = {"roles/logging.logWriter"}

ACCOUNTS_TF = """
resource "google_service_account" "cloud_build" {
  account_id = "mlops-cloud-build"
}
"""


def documents(snippet: str) -> dict[str, dict[str, Any]]:
    return {"snippet.tf": parse_text(ACCOUNTS_TF + snippet, "snippet.tf")}


@pytest.fixture(scope="module")
def real() -> dict[str, dict[str, Any]]:
    return load_all()


def test_no_primitive_role_anywhere(real: dict[str, dict[str, Any]]) -> None:
    assert primitive_roles_anywhere(real) == []


def test_no_project_wide_primitive_role_or_storage_admin(real: dict[str, dict[str, Any]]) -> None:
    grants = project_grants(real)
    assert len(grants) >= 5, grants  # the check saw the real grants
    assert forbidden_project_grants(real) == []


BAD_PROJECT_GRANTS = {
    "owner": """
resource "google_project_iam_member" "x" {
  project = var.project_id
  role    = "roles/owner"
  member  = google_service_account.cloud_build.member
}""",
    "editor-binding": """
resource "google_project_iam_binding" "x" {
  project = var.project_id
  role    = "roles/editor"
  members = ["serviceAccount:${google_service_account.cloud_build.email}"]
}""",
    "storage-admin-in-a-set": """
resource "google_project_iam_member" "x" {
  for_each = toset(["roles/logging.logWriter", "roles/storage.admin"])
  project  = var.project_id
  role     = each.value
  member   = google_service_account.cloud_build.member
}""",
    "viewer-in-a-policy": """
data "google_iam_policy" "p" {
  binding {
    role    = "roles/viewer"
    members = ["user:someone@example.com"]
  }
}
resource "google_project_iam_policy" "x" {
  project     = var.project_id
  policy_data = data.google_iam_policy.p.policy_data
}""",
    "role-from-a-variable": """
resource "google_project_iam_member" "x" {
  project = var.project_id
  role    = var.role
  member  = google_service_account.cloud_build.member
}""",
}


@pytest.mark.parametrize("snippet", BAD_PROJECT_GRANTS.values(), ids=BAD_PROJECT_GRANTS.keys())
def test_the_project_grant_check_fails_on_bad_snippets(snippet: str) -> None:
    assert forbidden_project_grants(documents(snippet)) != []


def test_the_project_grant_check_passes_scoped_grants() -> None:
    snippet = """
resource "google_project_iam_member" "ok" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.cloud_build.member
}
resource "google_storage_bucket_iam_member" "scoped" {
  bucket = "b"
  role   = "roles/storage.admin"
  member = google_service_account.cloud_build.member
}"""
    assert forbidden_project_grants(documents(snippet)) == []


def test_the_primitive_role_check_fails_on_a_bucket_grant() -> None:
    snippet = """
resource "google_storage_bucket_iam_member" "x" {
  bucket = "b"
  role   = "roles/viewer"
  member = "user:someone@example.com"
}"""
    assert primitive_roles_anywhere(documents(snippet)) != []


def test_the_primitive_role_check_fails_on_a_role_used_as_a_map_key() -> None:
    snippet = """
locals {
  grants = { "roles/editor" = ["user:someone@example.com"] }
}"""
    assert primitive_roles_anywhere(documents(snippet)) != []


def test_the_service_accounts_are_the_contracts_six(real: dict[str, dict[str, Any]]) -> None:
    assert set(service_accounts(real).values()) == CONTRACT_ACCOUNTS


def cloud_build_project_roles(docs: dict[str, dict[str, Any]]) -> set[str]:
    roles: set[str] = set()
    for grant in project_grants(docs):
        assert grant.unresolved_members == (), f"{grant.address}: cannot tell who {grant.unresolved_members} is"
        if "mlops-cloud-build" in grant.accounts:
            assert grant.roles is not None, f"{grant.address}: the role is not written out"
            roles |= grant.roles
    return roles


def test_cloud_build_holds_only_the_justified_project_roles(real: dict[str, dict[str, Any]]) -> None:
    assert cloud_build_project_roles(real) == CLOUD_BUILD_PROJECT_ROLES


def test_the_cloud_build_check_fails_on_one_more_project_role() -> None:
    snippet = """
resource "google_project_iam_member" "cloud_build" {
  for_each = toset(["roles/logging.logWriter", "roles/aiplatform.user"])
  project  = var.project_id
  role     = each.value
  member   = google_service_account.cloud_build.member
}"""
    assert cloud_build_project_roles(documents(snippet)) != CLOUD_BUILD_PROJECT_ROLES
    literal = """
resource "google_project_iam_member" "by_email" {
  project = var.project_id
  role    = "roles/cloudbuild.builds.builder"
  member  = "serviceAccount:mlops-cloud-build@acme-mlops-dev.iam.gserviceaccount.com"
}"""
    assert "roles/cloudbuild.builds.builder" in cloud_build_project_roles(documents(literal))


def test_the_vertex_ai_agent_reads_both_datasets_and_writes_only_the_monitoring_bucket(
    real: dict[str, dict[str, Any]],
) -> None:
    """Model Monitoring runs as Vertex AI's service agent: it must read the logged requests and the
    training table, and write results to the monitoring bucket, and hold nothing at project level
    from us (Google grants its agent role)."""
    roles = parse_file(TERRAFORM / "modules" / "iam" / "resource_roles.tf")
    (reads,) = (b for b in blocks({"r": roles}) if b.name == "monitoring_reads")
    assert unquote(reads.body["role"]) == "roles/bigquery.dataViewer"
    assert "vertex_ai_agent" in unquote(reads.body["member"])
    assert "serving_logs" in str(reads.body["for_each"]) and "features" in str(reads.body["for_each"])
    text = (TERRAFORM / "modules" / "iam" / "resource_roles.tf").read_text()
    grants = text[text.index("bucket_grants = {") : text.index("bucket_bindings")]
    assert grants.count("local.vertex_ai_agent") == 1
    assert 'monitoring = {\n      # Model Monitoring' in grants
    assert '"roles/storage.objectAdmin" = local.vertex_ai_agent' in grants
    assert not [g for g in project_grants(real) if "vertex_ai_agent" in g.address or "gcp-sa-aiplatform" in str(g)]


def test_the_drift_sink_may_publish_to_its_topic_only(real: dict[str, dict[str, Any]]) -> None:
    """The log sink that feeds drift-run writes as its own identity: publisher on the drift topic,
    and nothing at project level."""
    publishers = [b for b in blocks(real) if "writer_identity" in str(b.body.get("member", ""))]
    assert [(b.type, unquote(b.body["role"])) for b in publishers] == [
        ("google_pubsub_topic_iam_member", "roles/pubsub.publisher")
    ]
    (publisher,) = publishers
    assert unquote(publisher.body["topic"]) == "${google_pubsub_topic.drift[0].name}"
    assert unquote(publisher.body["member"]) == "${google_logging_project_sink.drift[0].writer_identity}"
    assert not [g for g in project_grants(real) if "writer_identity" in str(g.unresolved_members)]
