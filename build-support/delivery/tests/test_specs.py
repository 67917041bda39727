"""Specs compiled with the deployed images, published only when changed; deploy records; the KFP
repository upload (the SDK's real request, to a local HTTP server); promotion."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from delivery.promote import promote, rollback
from delivery.records import DeployRecord, RecordError, read_record, write_record
from delivery.specs import changed, compile_all, publish, publish_to_kfp_repository
from mlops.config import Settings
from mlops.images import ImagesError

COMMIT = "a" * 40
COMPONENTS = [
    "ingest", "validate", "features", "train", "evaluate", "serve", "register", "notify", "batch_predict", "monitor"
]  # fmt: skip


def settings(tmp_path: Path, environment: str = "dev", registry: str = "localhost:5000") -> Settings:
    return Settings.model_validate({
        "environment": environment, "storage_root": str(tmp_path / "data"),
        "gcp": {"project_id": "local-project", "pipeline_root": str(tmp_path / "root")},
        "images": {"registry": registry},
        "delivery": {"specs_uri": str(tmp_path / environment / "specs"),
                     "deploy_records_uri": str(tmp_path / environment / "records")},
    })  # fmt: skip


def images(tag: str, registry: str = "localhost:5000") -> dict[str, str]:
    return {name: f"{registry}/vertex-mlops/{name}:{tag * 64}" for name in COMPONENTS}


def test_every_pipeline_config_compiles_with_the_given_images(tmp_path: Path) -> None:
    specs = {spec.name: spec for spec in compile_all(settings(tmp_path), images("1"), tmp_path / "out")}
    assert set(specs) == {path.stem for path in Path("config/pipelines").glob("*.yaml")}
    assert f"localhost:5000/vertex-mlops/train:{'1' * 64}" in specs["churn"].path.read_text()
    assert "batch_predict" in specs["churn-batch"].path.read_text()
    # Runnable with no parameter given (the trigger functions): the config's values are the defaults.
    churn = yaml.safe_load(specs["churn"].path.read_text())
    parameters = churn["root"]["inputDefinitions"]["parameters"]
    defaults = {name: spec.get("defaultValue") for name, spec in parameters.items()}
    assert defaults["source_uri"] == "sample://churn?rows=50000&seed=7"
    # Compiling is deterministic: the same inputs give the same digest, so unchanged is unchanged.
    again = {spec.name: spec.sha256 for spec in compile_all(settings(tmp_path), images("1"), tmp_path / "again")}
    assert again == {name: spec.sha256 for name, spec in specs.items()}


def test_only_specs_whose_images_changed_are_published(tmp_path: Path) -> None:
    before = compile_all(settings(tmp_path), images("1"), tmp_path / "before")
    new_batch_image = {**images("1"), "batch_predict": images("2")["batch_predict"]}
    after = compile_all(settings(tmp_path), new_batch_image, tmp_path / "after")
    assert [spec.name for spec in changed(after, {spec.name: spec.sha256 for spec in before})] == ["churn-batch"]
    assert {spec.name for spec in changed(after, {})} == {spec.name for spec in after}


def test_an_image_outside_the_environments_registry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImagesError, match="pulls from europe-west2-docker.pkg.dev/p/vertex-mlops/"):
        compile_all(settings(tmp_path, registry="europe-west2-docker.pkg.dev/p"), images("1"), tmp_path / "out")


def test_publish_writes_the_commit_and_latest(tmp_path: Path) -> None:
    (spec,) = (s for s in compile_all(settings(tmp_path), images("1"), tmp_path / "out") if s.name == "energy")
    uris = publish(spec, str(tmp_path / "specs"), COMMIT)
    assert uris == [str(tmp_path / f"specs/energy/{COMMIT}.yaml"), str(tmp_path / "specs/energy/latest.yaml")]
    assert all(Path(uri).read_bytes() == spec.path.read_bytes() for uri in uris)


def test_records_round_trip_and_a_bad_one_is_named(tmp_path: Path) -> None:
    records = str(tmp_path / "records")
    assert read_record(records, "dev") is None
    written = DeployRecord(environment="dev", commit=COMMIT, images=images("1"), specs={"churn": "0" * 64})
    write_record(records, written)
    assert read_record(records, "dev") == written
    (tmp_path / "records/dev.json").write_text('{"environment": "dev", "commit": "HEAD"}')
    with pytest.raises(RecordError, match=r"records/dev.json: not a deploy record .*; fix or delete it"):
        read_record(records, "dev")


class _KfpRepository(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:  # (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"churn/sha256:" + b"f" * 64)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def kfp_repository() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _KfpRepository)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _KfpRepository.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/project/vertex-mlops-pipelines"
    server.shutdown()


def test_the_kfp_repository_upload_is_the_sdks_multipart_post(tmp_path: Path, kfp_repository: str) -> None:
    from kfp.registry import ApiAuth, RegistryClient

    (spec,) = (s for s in compile_all(settings(tmp_path), images("1"), tmp_path / "out") if s.name == "churn")
    client = lambda host: RegistryClient(host, ApiAuth("t"))  # noqa: E731
    uploaded = publish_to_kfp_repository(spec, kfp_repository, COMMIT, client)
    assert uploaded == f"{kfp_repository}/churn/sha256:{'f' * 64}"
    ((path, headers, body),) = _KfpRepository.received
    assert path == "/project/vertex-mlops-pipelines"
    assert f'name="tags"\r\n\r\n{COMMIT},latest'.encode() in body
    assert b'filename="churn.yaml"' in body and spec.path.read_bytes() in body


def test_promotion_copies_images_under_the_same_tags_and_republishes_specs(tmp_path: Path) -> None:
    dev, prod = settings(tmp_path, "dev", "dev.example/p"), settings(tmp_path, "prod", "prod.example/p")
    deployed = images("1", "dev.example/p")
    spec = f"image: {deployed['train']}\n"
    for file in (f"{COMMIT}.yaml", "latest.yaml"):
        (tmp_path / "dev/specs/churn").mkdir(parents=True, exist_ok=True)
        (tmp_path / f"dev/specs/churn/{file}").write_text(spec)
    record = DeployRecord(environment="dev", commit=COMMIT, images=deployed, specs={"churn": "0" * 64})
    write_record(dev.delivery.deploy_records_uri, record)
    docker: list[list[str]] = []
    promoted = promote(dev, prod, "build-7", docker=lambda args: docker.append(list(args)))
    assert promoted.commit == COMMIT and promoted.images == images("1", "prod.example/p")
    assert ["push", f"prod.example/p/vertex-mlops/train:{'1' * 64}"] in docker and len(docker) == 3 * len(COMPONENTS)
    assert (tmp_path / "prod/specs/churn/latest.yaml").read_text() == f"image: {promoted.images['train']}\n"
    assert read_record(prod.delivery.deploy_records_uri, "prod") == promoted


def test_promoting_an_environment_with_no_deploy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="nothing is recorded as deployed to 'dev'"):
        promote(settings(tmp_path, "dev"), settings(tmp_path, "prod"), docker=lambda args: None)


def test_rollback_makes_an_earlier_deploy_current_again(tmp_path: Path) -> None:
    dev = settings(tmp_path, "dev")
    records, specs = dev.delivery.deploy_records_uri, Path(dev.delivery.specs_uri)
    for commit, text in (("1" * 40, "first"), ("2" * 40, "second")):
        for file in (f"{commit}.yaml", "latest.yaml"):
            (specs / "churn").mkdir(parents=True, exist_ok=True)
            (specs / "churn" / file).write_text(text)
        deployed = DeployRecord(environment="dev", commit=commit, images=images(commit[0]), specs={"churn": text})
        write_record(records, deployed)
    rollback(dev, "1" * 40)
    assert (specs / "churn/latest.yaml").read_text() == "first"
    current = read_record(records, "dev")
    assert current is not None and current.commit == "1" * 40 and current.images == images("1")
    with pytest.raises(RecordError, match="was never deployed to 'dev'"):
        rollback(dev, "3" * 40)
