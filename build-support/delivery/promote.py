"""Promotion and rollback: a recorded deploy made current again, without rebuilding anything.

Rollback: an environment returns to a commit it ran before. That commit's specs (kept per commit)
are published as `latest.yaml` again, and its record becomes the environment's record, so the next
delivery selects everything that changed since that commit: nothing is lost, nothing is rebuilt now.

Promotion: what one environment runs, copied into the next.

The source's deploy record names the commit, every image and every spec. Each image is copied to
the target's registry under the same content tag (pull, tag, push: the layers and so the digest are
unchanged), each spec is republished with the target's registry in its image references, and the
target's record names the same commit. Promoting twice is harmless: the copies are the same.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable, Sequence

from delivery.records import DeployRecord, RecordError, read_deployed_commit, read_record, write_record
from mlops import storage
from mlops.config import Settings

Docker = Callable[[Sequence[str]], None]


def run_docker(args: Sequence[str]) -> None:
    subprocess.run(["docker", *args], check=True)


def image_prefix(settings: Settings) -> str:
    return f"{settings.images.registry}/{settings.images.repository}/"


def promote(source: Settings, target: Settings, build_id: str = "", docker: Docker = run_docker) -> DeployRecord:
    """Copy `source`'s recorded deploy into `target`; return the target's new record."""
    record = read_record(source.delivery.deploy_records_uri, source.environment)
    if record is None:
        raise RecordError(f"nothing is recorded as deployed to {source.environment!r}: there is nothing to promote")
    old, new = image_prefix(source), image_prefix(target)
    images = {}
    for component, reference in sorted(record.images.items()):
        if not reference.startswith(old):
            raise RecordError(f"{component}: {reference} is not in {source.environment!r}'s registry {old}")
        images[component] = new + reference.removeprefix(old)
        if images[component] != reference:
            for args in (["pull", reference], ["tag", reference, images[component]], ["push", images[component]]):
                docker(args)
        print(f"promote: {component}: {images[component]}")
    specs = {}
    for name in sorted(record.specs):
        spec = storage.read_text(storage.join(source.delivery.specs_uri, name, f"{record.commit}.yaml"))
        promoted = spec.replace(old, new).encode()
        for file in (f"{record.commit}.yaml", "latest.yaml"):
            storage.write_bytes(storage.join(target.delivery.specs_uri, name, file), promoted)
        specs[name] = hashlib.sha256(promoted).hexdigest()
        print(f"promote: {name}: spec published to {storage.join(target.delivery.specs_uri, name)}")
    promoted_record = DeployRecord(
        environment=target.environment, commit=record.commit, build_id=build_id, images=images, specs=specs
    )
    write_record(target.delivery.deploy_records_uri, promoted_record)
    print(f"promote: {target.environment!r} now runs {record.commit[:12]}, as {source.environment!r} does")
    return promoted_record


def rollback(settings: Settings, commit: str, build_id: str = "") -> DeployRecord:
    """Make the deploy of `commit` (an earlier one, recorded) current again in `settings`' environment."""
    delivery = settings.delivery
    earlier = read_deployed_commit(delivery.deploy_records_uri, settings.environment, commit)
    for name in sorted(earlier.specs):
        spec = storage.read_bytes(storage.join(delivery.specs_uri, name, f"{earlier.commit}.yaml"))
        storage.write_bytes(storage.join(delivery.specs_uri, name, "latest.yaml"), spec)
        print(f"rollback: {name}: latest.yaml is the spec of {earlier.commit[:12]} again")
    current = earlier.model_copy(update={"build_id": build_id})
    write_record(delivery.deploy_records_uri, current)
    print(f"rollback: {settings.environment!r} runs {earlier.commit[:12]} again (deployed {earlier.deployed_at})")
    return current
