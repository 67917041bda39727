"""The names config/<env>.yaml uses (buckets, repositories, datasets, the online store, the
project and region, the service accounts) are the ones environments/<env> creates.

config/<env>.yaml is the source of truth; terraform.tfvars repeats the names because Terraform
cannot take them from it. This keeps the two from drifting apart.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from terraform_files import (
    ENVIRONMENTS,
    REPO,
    TERRAFORM,
    load_all,
    parse_file,
    service_accounts,
    unquote,
)

# config images.repository's default (libs/mlops/config.py) when a config file does not set it.
DEFAULT_IMAGE_REPOSITORY = "vertex-mlops"


def load_config(environment: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "config" / f"{environment}.yaml").read_text())


def load_tfvars(environment: str) -> dict[str, Any]:
    parsed = parse_file(TERRAFORM / "environments" / environment / "terraform.tfvars")
    return _plain(parsed["settings"])


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {unquote(key): _plain(item) for key, item in value.items() if not key.startswith("__")}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return unquote(value)


def bucket_of(uri: str) -> str:
    assert uri.startswith("gs://"), uri
    return uri.removeprefix("gs://").split("/")[0]


def mismatches(config: dict[str, Any], tfvars: dict[str, Any], accounts: set[str]) -> list[str]:
    """A line per name of the config that the environment's Terraform does not create."""
    found = []

    def expect(what: str, actual: Any, expected: Any) -> None:
        if actual != expected:
            found.append(f"{what}: config says {expected!r}, terraform has {actual!r}")

    project, region = config["gcp"]["project_id"], config["gcp"]["region"]
    expect("project_id", tfvars.get("project_id"), project)
    expect("region", tfvars.get("region"), region)
    expect("environment", tfvars.get("environment"), config["environment"])

    buckets = tfvars.get("buckets", {})
    delivery = config["delivery"]
    for role, uri in {
        "data": config["storage_root"],
        "pipelines": config["gcp"]["pipeline_root"],
        "staging": config["gcp"]["staging_bucket"],
        "specs": delivery["specs_uri"],
        "deploys": delivery["deploy_records_uri"],
        "monitoring": config["serving"]["model_monitoring"]["output_uri"],
    }.items():
        expect(f"buckets.{role}", buckets.get(role), bucket_of(uri))
    expect("pipeline_root", tfvars.get("pipeline_root"), config["gcp"]["pipeline_root"])
    expect("specs_uri", tfvars.get("specs_uri"), delivery["specs_uri"])

    images = config["images"]
    expect("images.registry", f"{tfvars.get('region')}-docker.pkg.dev/{tfvars.get('project_id')}", images["registry"])
    expect("docker_repository", tfvars.get("docker_repository"), images.get("repository", DEFAULT_IMAGE_REPOSITORY))
    expect(
        "delivery.kfp_repository",
        f"https://{tfvars.get('region')}-kfp.pkg.dev/{tfvars.get('project_id')}/{tfvars.get('kfp_repository')}",
        delivery["kfp_repository"],
    )

    table = config["serving"]["request_logging"]["bigquery_table"]  # bq://PROJECT.DATASET.TABLE
    table_project, dataset, _table = table.removeprefix("bq://").split(".")
    expect("serving log table's project", table_project, project)
    expect("datasets.serving_logs", tfvars.get("datasets", {}).get("serving_logs"), dataset)

    feature_store = urlsplit(config["feature_store_uri"])  # vertex://PROJECT/REGION?dataset=D&online_store=S
    query = {key: values[0] for key, values in parse_qs(feature_store.query).items()}
    expect("feature store project/region", f"{feature_store.netloc}{feature_store.path}", f"{project}/{region}")
    expect("datasets.features", tfvars.get("datasets", {}).get("features"), query.get("dataset"))
    expect("feature_online_store", tfvars.get("feature_online_store"), query.get("online_store"))

    for where, email in {
        "gcp.service_account": config["gcp"]["service_account"],
        "serving.service_account": config["serving"]["service_account"],
    }.items():
        account, _, domain = email.partition("@")
        if account not in accounts:
            found.append(f"{where}: {email} is not a google_service_account in terraform/")
        expect(f"{where}'s project", domain, f"{project}.iam.gserviceaccount.com")
    return found


@pytest.fixture(scope="module")
def accounts() -> set[str]:
    return set(service_accounts(load_all()).values())


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_environment_creates_the_configs_names(environment: str, accounts: set[str]) -> None:
    assert mismatches(load_config(environment), load_tfvars(environment), accounts) == []


@pytest.mark.parametrize(
    "change",
    [
        lambda config: config.update(storage_root="gs://someone-elses-bucket"),
        lambda config: config["gcp"].update(pipeline_root="gs://acme-mlops-dev-pipelines/other"),
        lambda config: config["images"].update(repository="other-images"),
        lambda config: config["delivery"].update(kfp_repository="https://europe-west2-kfp.pkg.dev/acme-mlops-dev/other"),
        lambda config: config["serving"].update(service_account="robot@acme-mlops-dev.iam.gserviceaccount.com"),
        lambda config: config.update(feature_store_uri="vertex://acme-mlops-dev/europe-west2?dataset=features&online_store=x"),
        lambda config: config["serving"]["model_monitoring"].update(output_uri="gs://acme-mlops-dev-data/monitoring"),
    ],
    ids=["bucket", "pipeline-root", "image-repository", "kfp-repository", "service-account", "online-store",
         "monitoring-output"],  # fmt: skip
)
def test_a_name_terraform_does_not_create_is_reported(change: Any, accounts: set[str]) -> None:
    config = copy.deepcopy(load_config("dev"))
    change(config)
    assert mismatches(config, load_tfvars("dev"), accounts) != []
