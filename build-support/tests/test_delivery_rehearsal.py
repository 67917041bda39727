"""Rehearses cloudbuild.yaml on this machine and proves that a delivery ships exactly what changed.

An "origin" repository (a copy of this one's tracked files) receives commits; each build is a
fresh `git clone --depth 1` of it, as Cloud Build checks out, run by build-support/delivery/rehearse.py:
every step in the builder image on the local Docker engine. A folder stands in for the GCS buckets
(specs, deploy records) and the local registry for Artifact Registry, under a repository name of
its own, so what a build pushed is read from the registry itself. Scenarios, in order:

1. nothing deployed yet: every component image is pushed and every spec published;
2. one component changed: exactly its image, and only the specs of the pipelines that run it;
3. a shared lib changed: exactly the images of the components that import it;
4. docs only: nothing pushed, nothing published, the record moves on;
5. a failing step: nothing recorded, so the next build selects the same change again.
Each of 2-5 starts from a one-commit clone whose deployed commit is further back: the prepare step
must deepen it (checked in the log).

Needs the builder image and the rehearse PEX (see .ci/run), a Docker engine and the local registry:
    python3 build-support/tests/test_delivery_rehearsal.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import ClassVar

from temporary_repo import REPO, commit, copy_of_repo, git, remove  # pants: no-infer-dep

REGISTRY = "127.0.0.1:5000"
COMPONENTS = sorted(
    folder.name for folder in (REPO / "components").iterdir()
    if "vertex_component(" in ((folder / "BUILD").read_text() if (folder / "BUILD").exists() else "")
)  # fmt: skip
NOTIFY_SPECS = {"churn", "energy", "churn-monitoring"}  # the configs whose pipeline (training, monitoring) runs notify
ALL_SPECS = {path.stem for path in (REPO / "config/pipelines").glob("*.yaml")}


def built_reference(target_dir: str) -> str:
    info = json.loads((REPO / "dist" / target_dir / "image.docker-info.json").read_text())
    return next(tag["name"] for tag in info["registries"][0]["tags"] if not tag["name"].endswith(":latest"))


class DeliveryRehearsalTest(unittest.TestCase):
    origin: Path
    root: Path
    repository: str
    builder: str
    rehearse: Path
    env: Path
    record_file: Path
    builds: int = 0
    # (scenario, seconds, images pushed, {step id: seconds})
    timings: ClassVar[list[tuple[str, float, int, dict[str, float]]]] = []

    @classmethod
    def setUpClass(cls) -> None:
        cls.builder = built_reference("build-support.builder")
        cls.rehearse = REPO / "dist/build-support.delivery/rehearse.pex"
        cls.root = Path(tempfile.mkdtemp(prefix="delivery-rehearsal-"))
        cls.repository = f"rehearsal-{uuid.uuid4().hex[:8]}"
        cls.origin = copy_of_repo("delivery-origin-")
        # Images go to a repository of their own in the local registry: what a build pushed is then
        # exactly the content tags that appeared there.
        pants_toml = cls.origin / "pants.toml"
        repository = f'"{cls.repository}/{{directory}}"'
        pants_toml.write_text(pants_toml.read_text().replace('"vertex-mlops/{directory}"', repository))
        # A lib module imported by two components only (notify and batch_predict), for scenario 3.
        (cls.origin / "libs/mlops/delivery_probe.py").write_text("PROBE = 1\n")
        for component in ("notify", "batch_predict"):
            with open(cls.origin / f"components/{component}/{component}/core.py", "a") as stream:
                stream.write("\nfrom mlops.delivery_probe import PROBE  # noqa: E402, F401\n")
        git(cls.origin, "add", "-A")
        commit(cls.origin, "rehearsal baseline")
        gcs = cls.root / "gcs"
        cls.env = cls.root / "env.yaml"
        cls.env.write_text(
            "environment: local\n"
            f"storage_root: {gcs}/data\n"
            f"gcp: {{project_id: local-project, region: europe-west2, pipeline_root: {gcs}/pipeline-root}}\n"
            f'images: {{registry: "localhost:5000", repository: {cls.repository}}}\n'
            f"delivery: {{specs_uri: {gcs}/specs, deploy_records_uri: {gcs}/records}}\n"
        )
        cls.record_file = gcs / "records/local.json"

    @classmethod
    def tearDownClass(cls) -> None:
        # The figures docs/benchmarks.md reports: each build's wall time beside the first (everything).
        if cls.timings:
            full = cls.timings[0][1]
            print("\ndelivery rehearsal: build wall times (the benchmark in docs/benchmarks.md)", file=sys.stderr)
            for scenario, seconds, pushed, steps in cls.timings:
                ratio = seconds / full
                per_step = ", ".join(f"{step} {took:.0f}s" for step, took in steps.items())
                print(f"  {scenario:<45} {seconds:6.0f}s  {ratio:5.2f}x  {pushed} image(s) pushed  ({per_step})",
                      file=sys.stderr)  # fmt: skip
        remove(cls.origin)
        shutil.rmtree(cls.root, ignore_errors=True)

    # --- helpers
    def change(self, relative: str, text: str, message: str) -> str:
        with open(self.origin / relative, "a", encoding="utf-8") as stream:
            stream.write(text)
        git(self.origin, "add", "-A")
        commit(self.origin, message)
        return git(self.origin, "rev-parse", "HEAD").strip()

    def content_tags(self) -> set[tuple[str, str]]:
        """(component, content tag) of every image in this test's registry repository."""
        tags = set()
        for component in COMPONENTS:
            url = f"http://{REGISTRY}/v2/{self.repository}/{component}/tags/list"
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    listed = json.load(response).get("tags") or []
            except urllib.error.HTTPError as error:
                if error.code != 404:  # 404: nothing pushed for this component yet
                    raise
                listed = []
            tags |= {(component, tag) for tag in listed if re.fullmatch(r"[0-9a-f]{64}", tag)}
        return tags

    def build(self) -> tuple[int, str, set[str]]:
        """One build of origin's HEAD from a fresh one-commit clone: exit code, log, components pushed."""
        type(self).builds += 1
        workspace = self.root / f"workspace-{self.builds}"
        git(self.root, "clone", "-q", "--depth", "1", f"file://{self.origin}", str(workspace))
        if (REPO / ".pants.rc").is_file():  # this machine's offline base images, as build args
            shutil.copy2(REPO / ".pants.rc", workspace / ".pants.rc")
        before = self.content_tags()
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, str(self.rehearse), "--workspace", str(workspace), "--mount", f"{self.root}:{self.root}",
             # The steps fetch history from origin, as Cloud Build's clone would from the repository.
             "--mount", f"{self.origin}:{self.origin}:ro",
             "-s", f"_ENVIRONMENT={self.env}", "-s", "_ARTIFACT_REGISTRY=", "-s", f"_BUILDER_IMAGE={self.builder}"],
            capture_output=True, text=True,
        )  # fmt: skip
        log = result.stdout + result.stderr
        (self.root / f"build-{self.builds}.log").write_text(log)
        pushed = {component for component, _ in self.content_tags() - before}
        step_times = re.findall(r'rehearse: Step #\d+ - "([\w-]+)" (?:done in|failed .*after) ([\d.]+)s', log)
        steps = {step: float(took) for step, took in step_times}
        self.timings.append((self._testMethodName, time.perf_counter() - started, len(pushed), steps))
        print(f"  [{self._testMethodName}: build took {time.perf_counter() - started:.0f}s, pushed {sorted(pushed)}]",
              file=sys.stderr)  # fmt: skip
        shutil.rmtree(workspace, ignore_errors=True)
        return result.returncode, log, pushed

    def published(self, log: str) -> set[str]:
        return set(re.findall(r"specs: ([\w-]+): published .*/latest\.yaml", log))

    def record(self) -> dict:
        return json.loads(self.record_file.read_text())

    def assertSucceeded(self, status: int, log: str) -> None:
        self.assertEqual(status, 0, log[-4000:])

    # --- scenarios, in order (each builds on the deploy the previous one recorded)
    def test_1_nothing_deployed_builds_everything(self) -> None:
        status, log, pushed = self.build()
        self.assertSucceeded(status, log)
        self.assertIn("nothing deployed to 'local' yet", log)
        self.assertEqual(pushed, set(COMPONENTS))
        self.assertEqual(self.published(log), ALL_SPECS)
        self.assertEqual(self.record()["commit"], git(self.origin, "rev-parse", "HEAD").strip())
        for name in ALL_SPECS:  # every image a spec names is one the build pushed to this registry
            spec = (self.root / f"gcs/specs/{name}/latest.yaml").read_text()
            for image in set(re.findall(rf"localhost:5000/{self.repository}/(\w+):([0-9a-f]{{64}})", spec)):
                self.assertIn(image, self.content_tags())

    def test_2_one_component_ships_one_image(self) -> None:
        head = self.change("components/notify/notify/core.py", "\n# rehearsal: a change to notify only\n", "notify")
        status, log, pushed = self.build()
        self.assertSucceeded(status, log)
        self.assertIn("fetching --deepen", log)  # the one-commit clone did not hold the deployed commit
        self.assertEqual(pushed, {"notify"})
        self.assertEqual(self.published(log), NOTIFY_SPECS)
        self.assertEqual(self.record()["commit"], head)

    def test_3_shared_lib_ships_its_dependents(self) -> None:
        self.change("libs/mlops/delivery_probe.py", "PROBE_2 = 2\n", "probe lib")
        status, log, pushed = self.build()
        self.assertSucceeded(status, log)
        self.assertEqual(pushed, {"notify", "batch_predict"})
        self.assertEqual(self.published(log), ALL_SPECS)  # churn-batch runs batch_predict, the others notify

    def test_4_docs_only_ships_nothing(self) -> None:
        head = self.change("docs/architecture.md", "\n<!-- rehearsal: docs only -->\n", "docs")
        status, log, pushed = self.build()
        self.assertSucceeded(status, log)
        self.assertEqual(pushed, set())
        self.assertEqual(self.published(log), set())
        self.assertIn("images: nothing to build", log)
        self.assertEqual(self.record()["commit"], head)

    def test_5_failed_step_records_nothing(self) -> None:
        deployed = self.record()
        self.change("components/notify/notify/core.py", "\n# rehearsal: notify again\n", "notify again")
        self.change("config/pipelines/energy.yaml", "not_a_setting: 1\n", "break a pipeline config")
        status, log, pushed = self.build()
        self.assertNotEqual(status, 0, "a build with an invalid pipeline config succeeded")
        self.assertRegex(log, r'Step #2 - "specs" failed')
        self.assertNotIn('Step #3 - "record": record:', log)
        self.assertEqual(pushed, {"notify"})  # the images step ran before the failure
        self.assertEqual(self.record(), deployed)  # ... but nothing is recorded as deployed

        energy = (self.origin / "config/pipelines/energy.yaml").read_text().replace("not_a_setting: 1\n", "")
        (self.origin / "config/pipelines/energy.yaml").write_text(energy)
        git(self.origin, "add", "-A")
        commit(self.origin, "fix the config")
        status, log, _ = self.build()
        self.assertSucceeded(status, log)
        self.assertRegex(log, r"images: built and pushed 1:\n.*  components/notify:image")  # selected again
        self.assertEqual(self.record()["commit"], git(self.origin, "rev-parse", "HEAD").strip())


if __name__ == "__main__":
    os.chdir(REPO)
    unittest.main(verbosity=2)
