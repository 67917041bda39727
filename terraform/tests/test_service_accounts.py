"""Every service account e-mail the project uses is one that Terraform creates.

Scanned: the config files, the Cloud Build configs, and the code of functions/, libs/ and cli/
(not their tests, which use made-up accounts). The files reach the Pants sandbox through this
test's dependencies (terraform/tests/BUILD); a folder missing from the sandbox fails the test
instead of passing it unscanned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from terraform_files import CONTRACT_ACCOUNTS, REPO, SA_EMAIL, load_all, service_accounts

# Folders whose files must be in the sandbox, and the Cloud Build configs when they exist.
REQUIRED_ROOTS = ("config", "libs", "cli")
OPTIONAL_ROOTS = ("functions", "build-support/cloudbuild")
SCANNED_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".sh", ".toml"}


def is_test(path: Path) -> bool:
    return "tests" in path.parts or path.name.startswith("test_") or path.name.endswith("_test.py")


def scanned_files() -> list[Path]:
    files = [REPO / "cloudbuild.yaml"] if (REPO / "cloudbuild.yaml").exists() else []
    for root in (*REQUIRED_ROOTS, *OPTIONAL_ROOTS):
        files += [
            path
            for path in (REPO / root).rglob("*")
            if path.is_file() and path.suffix in SCANNED_SUFFIXES and not is_test(path.relative_to(REPO))
        ]
    return sorted(files)


def undefined_accounts(texts: dict[str, str], defined: set[str], projects: set[str]) -> list[str]:
    """A line per e-mail whose account Terraform does not create, or which is in another project."""
    found = []
    for name, text in texts.items():
        for match in SA_EMAIL.finditer(text):
            account, project = match.groups()
            if account not in defined or project not in projects:
                found.append(f"{name}: {match.group(0)}")
    return found


@pytest.fixture(scope="module")
def defined() -> tuple[set[str], set[str]]:
    documents = load_all()
    projects = set()
    for name, document in documents.items():
        if name.endswith("terraform.tfvars"):
            projects.add(str(document["settings"]["project_id"]).strip('"'))
    return set(service_accounts(documents).values()), projects


def test_the_scanned_folders_are_in_the_sandbox() -> None:
    files = scanned_files()
    for root in REQUIRED_ROOTS:
        assert any(path.is_relative_to(REPO / root) for path in files), f"no file of {root}/ in the sandbox"


def test_every_service_account_used_is_defined_in_terraform(defined: tuple[set[str], set[str]]) -> None:
    accounts, projects = defined
    texts = {str(p.relative_to(REPO)): p.read_text(encoding="utf-8", errors="replace") for p in scanned_files()}
    used = {match.group(0) for text in texts.values() for match in SA_EMAIL.finditer(text)}
    assert len(used) >= 4, used  # the two accounts of config/dev.yaml and of config/prod.yaml
    assert undefined_accounts(texts, accounts, projects) == []


def test_the_contracts_accounts_are_defined(defined: tuple[set[str], set[str]]) -> None:
    accounts, projects = defined
    assert accounts >= CONTRACT_ACCOUNTS
    assert projects == {"acme-mlops-dev", "acme-mlops-prod"}


@pytest.mark.parametrize(
    "text",
    [
        "service_account: robot@acme-mlops-dev.iam.gserviceaccount.com",
        "serviceAccount: projects/p/serviceAccounts/vertex-pipelines@some-other-project.iam.gserviceaccount.com",
    ],
)
def test_an_undefined_account_is_reported(text: str, defined: Any) -> None:
    accounts, projects = defined
    assert undefined_accounts({"x.yaml": text}, accounts, projects) != []
