"""Every Terraform file parses, and the layout is the documented one (docs/terraform.md).

`terraform validate` cannot run here (the google provider cannot be downloaded), so parsing with
python-hcl2 is what catches a syntax error before CI does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from terraform_files import (
    ENVIRONMENTS,
    TERRAFORM,
    HclParseError,
    parse_file,
    parse_text,
    terraform_files,
    unquote,
)

# glob, not iterdir: with terraform/ missing from the sandbox, the test below fails with a clear message.
MODULES = sorted(path for path in (TERRAFORM / "modules").glob("*") if path.is_dir())


def test_the_terraform_files_are_in_the_sandbox() -> None:
    # Without the files dependency the glob would find nothing and every other check would pass.
    assert len(terraform_files()) >= 40, terraform_files()
    assert {path.name for path in MODULES} >= {"iam", "storage", "functions", "platform"}


def test_every_terraform_file_parses() -> None:
    errors = []
    for path in terraform_files():
        try:
            parse_file(path)
        except HclParseError as error:
            errors.append(str(error))
    assert errors == [], "\n".join(errors)


def test_a_parse_error_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.tf"
    broken.write_text('resource "google_storage_bucket" "b" {\n  name = \n}\n')
    with pytest.raises(HclParseError, match=r"broken\.tf: "):
        parse_file(broken)
    with pytest.raises(HclParseError, match=r"^snippet\.tf: "):
        parse_text("variable {", "snippet.tf")


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_each_module_has_main_variables_and_outputs(module: Path) -> None:
    assert {"main.tf", "variables.tf", "outputs.tf"} <= {path.name for path in module.glob("*.tf")}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_environment_pins_terraform_and_the_provider(environment: str) -> None:
    folder = TERRAFORM / "environments" / environment
    expected = {"versions.tf", "main.tf", "variables.tf", "outputs.tf", "terraform.tfvars"}
    assert expected <= {path.name for path in folder.iterdir()}
    (settings,) = parse_file(folder / "versions.tf")["terraform"]
    assert unquote(settings["required_version"]) == ">= 1.5"
    (providers,) = settings["required_providers"]
    providers = {name: value for name, value in providers.items() if not name.startswith("__")}
    for name, provider in providers.items():
        # An exact version: upgrading the provider is a reviewed change.
        assert re.fullmatch(r"\d+\.\d+\.\d+", unquote(provider["version"])), f"{name}: {provider['version']}"
    assert "google" in providers
    # The backend bucket is given at init (-backend-config); the prefix keeps environments apart.
    (backend,) = settings["backend"]
    assert list(backend) == ['"gcs"']
    assert "bucket" not in backend['"gcs"']
    assert unquote(backend['"gcs"']["prefix"]).endswith(f"/{environment}")
