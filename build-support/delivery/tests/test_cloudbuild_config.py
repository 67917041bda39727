"""The repository's Cloud Build configs pass the documented schema, and the check catches what Cloud
Build would reject."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from delivery import cloudbuild_config

CONFIGS = sorted([Path("cloudbuild.yaml"), *Path("build-support/cloudbuild").glob("*.yaml")])
GOOD = {
    "substitutions": {"_ENVIRONMENT": "dev"},
    "options": {"logging": "CLOUD_LOGGING_ONLY", "machineType": "E2_HIGHCPU_8"},
    "timeout": "600s",
    "steps": [
        {"id": "a", "name": "builder", "args": ["echo", "$_ENVIRONMENT", "${COMMIT_SHA}", "$$HOME"]},
        {"id": "b", "name": "builder", "waitFor": ["a"], "env": ["X=1"]},
    ],
}


def test_every_config_in_the_repository_is_valid() -> None:
    assert {path.name for path in CONFIGS} >= {"cloudbuild.yaml", "pull-request.yaml", "terraform.yaml", "promote.yaml"}
    for path in CONFIGS:
        cloudbuild_config.load(path)  # raises naming the file and every problem


def test_a_valid_config_has_no_problem() -> None:
    assert cloudbuild_config.check(GOOD) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda c: c["steps"][0].update(entrypoints="bash"), "steps[0] (a).entrypoints: unknown field"),
        (lambda c: c["steps"][0].pop("name"), "steps[0] (a).name: required"),
        (lambda c: c["steps"][0].update(args="echo hi"), "steps[0] (a).args: expected list"),
        (lambda c: c["options"].update(logging="CLOUD_LOGGING"), "options.logging: 'CLOUD_LOGGING' is not one of"),
        (lambda c: c["options"].update(machineType="n1-standard-8"), "options.machineType"),
        (lambda c: c["substitutions"].update(environment="dev"), "substitutions.environment: user substitutions"),
        (lambda c: c["steps"][0]["args"].append("$_UNDECLARED"), "$_UNDECLARED: neither a built-in"),
        (lambda c: c["steps"][1].update(waitFor=["c"]), "'c' is not the id of an earlier step"),
        (lambda c: c["steps"][1].update(id="a"), "'a' is used twice"),
        (lambda c: c.update(timeout="10m"), "build.timeout: '10m' is not a duration"),
        (lambda c: c.update(steps=[]), "at least one step is required"),
        (lambda c: (c.update(serviceAccount="x"), c["options"].pop("logging")), "build.serviceAccount"),
    ],
)
def test_what_cloud_build_would_reject_is_reported(change, problem: str) -> None:
    config = yaml.safe_load(yaml.safe_dump(GOOD))  # a deep copy
    change(config)
    problems = cloudbuild_config.check(config)
    assert any(problem in found for found in problems), problems


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cloudbuild.yaml"
    path.write_text("steps:\n  - name: builder\n    arg: [x]\n")
    error = cloudbuild_config.CloudBuildConfigError
    with pytest.raises(error, match=r"cloudbuild.yaml: steps\[0\].arg: unknown field"):
        cloudbuild_config.load(path)


def test_substitute_replaces_variables_and_keeps_escaped_dollars() -> None:
    done = cloudbuild_config.substitute(GOOD, {"_ENVIRONMENT": "prod", "COMMIT_SHA": "abc"})
    assert done["steps"][0]["args"] == ["echo", "prod", "abc", "$HOME"]
    assert "substitutions" not in done
