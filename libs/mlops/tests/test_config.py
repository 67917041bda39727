from __future__ import annotations

from pathlib import Path

import pytest

from mlops.config import ConfigError, load_settings

VALID = """\
environment: dev
storage_root: gs://acme-mlops-dev/data
gcp:
  project_id: acme-mlops-dev
  region: europe-west2
  service_account: pipelines@acme-mlops-dev.iam.gserviceaccount.com
  pipeline_root: gs://acme-mlops-dev/pipeline-root
images:
  registry: europe-west2-docker.pkg.dev/acme-mlops-dev/images
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_environment_name_resolves_to_its_file(tmp_path: Path) -> None:
    write(tmp_path, "dev.yaml", VALID)
    settings = load_settings("dev", config_dir=tmp_path)
    assert settings.gcp.project_id == "acme-mlops-dev"
    registry = "europe-west2-docker.pkg.dev/acme-mlops-dev/images"
    assert (settings.images.registry, settings.images.repository) == (registry, "vertex-mlops")
    assert settings.logging.level == "INFO"


def test_overrides_are_validated_like_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "dev.yaml", VALID)
    assert load_settings(str(path), overrides={"gcp.region": "us-central1"}).gcp.region == "us-central1"
    with pytest.raises(ConfigError, match=r"gcp\.project_id: String should match pattern"):
        load_settings(str(path), overrides={"gcp.project_id": "Bad_Project"})


def test_every_problem_is_reported_with_file_and_key(tmp_path: Path) -> None:
    text = VALID.replace("project_id: acme", "projectid: acme").replace("environment: dev", "environment: staging")
    path = write(tmp_path, "dev.yaml", text)
    with pytest.raises(ConfigError) as error:
        load_settings(str(path))
    message = str(error.value)
    assert message.startswith(f"{path}: 3 problem(s) in config:")
    assert "environment: Input should be 'local', 'dev' or 'prod' (got 'staging')" in message
    assert "gcp.project_id: Field required" in message
    assert "gcp.projectid: unknown key" in message


def test_wrong_type_names_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, "dev.yaml", VALID + "logging:\n  json: maybe-not\n")
    with pytest.raises(ConfigError, match=r"logging\.json: Input should be a valid boolean.*'maybe-not'"):
        load_settings(str(path))


def test_service_account_must_be_an_email(tmp_path: Path) -> None:
    path = write(tmp_path, "dev.yaml", VALID.replace("pipelines@acme-mlops-dev.iam.gserviceaccount.com", "pipelines"))
    with pytest.raises(ConfigError, match="gcp.service_account: expected a service account e-mail"):
        load_settings(str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("environment: dev\ngcp: [unclosed\n", r"invalid YAML \(line 3, column 1\)"),
        ("", "config file is empty"),
        ("- a\n- b\n", "expected a mapping of keys at the top level, got list"),
    ],
)
def test_unparseable_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "dev.yaml", text)
    with pytest.raises(ConfigError, match=message) as error:
        load_settings(str(path))
    assert str(error.value).startswith(str(path))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"prod\.yaml: config file not found"):
        load_settings("prod", config_dir=tmp_path)


def test_shipped_environment_files_are_valid() -> None:
    config_dir = Path(__file__).resolve().parents[3] / "config"
    for environment in ("local", "dev", "prod"):
        assert load_settings(environment, config_dir=config_dir).environment == environment


def test_serving_defaults_and_what_dev_ships() -> None:
    config_dir = Path(__file__).resolve().parents[3] / "config"
    local = load_settings("local", config_dir=config_dir).serving
    assert (local.machine_type, local.min_replicas, local.max_replicas) == ("n1-standard-2", 1, 1)
    assert local.request_logging.enabled is False and local.endpoint_for("churn") == "churn-endpoint"
    dev = load_settings("dev", config_dir=config_dir).serving
    assert dev.request_logging.enabled and dev.request_logging.bigquery_table.startswith("bq://acme-mlops-dev.")


@pytest.mark.parametrize(
    ("serving", "problem"),
    [
        ("{min_replicas: 3, max_replicas: 2}", r"serving: max_replicas \(2\) is less than min_replicas"),
        ("{min_replicas: 0}", r"serving.min_replicas: Input should be greater than or equal to 1"),
        ("{request_logging: {enabled: true}}", r"serving.request_logging: bigquery_table is required"),
        ("{request_logging: {sampling_rate: 1.5}}", r"serving.request_logging.sampling_rate: Input should be less"),
        ("{request_logging: {bigquery_table: 'logs.t'}}", r"serving.request_logging.bigquery_table: String should"),
        ("{endpoint_name: '{team}-x'}", r"serving.endpoint_name: '\{team\}-x': the only placeholder"),
        ("{machine_typ: n1-standard-2}", r"serving.machine_typ: unknown key"),
    ],
)
def test_serving_problems_name_the_key(tmp_path: Path, serving: str, problem: str) -> None:
    path = write(tmp_path, "dev.yaml", VALID + f"serving: {serving}\n")
    with pytest.raises(ConfigError, match=problem):
        load_settings(str(path))
