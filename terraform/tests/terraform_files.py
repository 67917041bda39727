"""Reads terraform/ with python-hcl2 and answers the questions the tests ask of it.

`terraform validate` needs the google provider, which cannot be downloaded here, so these checks
work on the parsed HCL: the attributes as written, not as Terraform would evaluate them. A check
that cannot tell what a binding grants (a role from a variable, say) reports that as a finding
rather than passing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

# terraform/tests/terraform_files.py -> the repository root. In the Pants sandbox the files the tests
# read are there too, at the same relative paths, because the tests depend on `files` targets.
REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "terraform"
ENVIRONMENTS = ("dev", "prod")

# The service accounts of the delivery contract (docs/terraform.md).
CONTRACT_ACCOUNTS = frozenset(
    {
        "vertex-pipelines",
        "model-serving",
        "mlops-cloud-build",
        "mlops-terraform",
        "pipeline-triggers",
        "pipeline-scheduler",
    }
)

PROJECT_IAM_TYPES = ("google_project_iam_member", "google_project_iam_binding", "google_project_iam_policy")
PRIMITIVE_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})
# Never granted on the whole project (a bucket-scoped grant is another resource type).
FORBIDDEN_PROJECT_ROLES = PRIMITIVE_ROLES | {"roles/storage.admin"}

SA_EMAIL = re.compile(r"\b([a-z0-9-]+)@([a-z0-9-]+)\.iam\.gserviceaccount\.com\b")
_ROLE = re.compile(r"roles/[A-Za-z0-9_.]+")
_CUSTOM_ROLE = re.compile(r"google_project_iam_custom_role\.([A-Za-z0-9_-]+)\.(?:id|name)\b")
_SA_REF = re.compile(r"google_service_account\.([A-Za-z0-9_-]+)\.(?:member|email)\b")
_POLICY_REF = re.compile(r"data\.google_iam_policy\.([A-Za-z0-9_-]+)\.policy_data\b")
# Google-managed agents (not accounts we define) that a project-level grant may name.
_GOOGLE_AGENT_REF = re.compile(r"data\.google_storage_project_service_account\.[A-Za-z0-9_-]+\.member\b")


class HclParseError(Exception):
    """A .tf or .tfvars file python-hcl2 cannot parse; the message starts with the file's path."""


def parse_text(text: str, name: str) -> dict[str, Any]:
    try:
        return hcl2.loads(text)
    except Exception as error:  # lark raises several unrelated types; any of them means "unparseable"
        raise HclParseError(f"{name}: {error}") from error


def parse_file(path: Path) -> dict[str, Any]:
    name = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    return parse_text(path.read_text(encoding="utf-8"), str(name))


def terraform_files() -> list[Path]:
    return sorted([*TERRAFORM.rglob("*.tf"), *TERRAFORM.rglob("*.tfvars")])


def unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals ("\\"x\\""); expressions come as "${...}"."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def strings(value: Any) -> Iterator[str]:
    """Every string anywhere in a parsed value: attribute values, list items, nested blocks, and
    the keys of maps (a grant can be written as { "roles/x" = members })."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if not key.startswith("__"):  # python-hcl2 metadata: comments, block markers
                yield key
                yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@dataclass(frozen=True)
class Block:
    file: str
    kind: str  # "resource" or "data"
    type: str
    name: str
    body: dict[str, Any]

    @property
    def address(self) -> str:
        prefix = "data." if self.kind == "data" else ""
        return f"{self.file}: {prefix}{self.type}.{self.name}"


def blocks(documents: dict[str, dict[str, Any]], kind: str = "resource") -> Iterator[Block]:
    for file, document in documents.items():
        for entry in document.get(kind, []):
            for block_type, named in entry.items():
                for name, body in named.items():
                    yield Block(file, kind, unquote(block_type), unquote(name), body)


def service_accounts(documents: dict[str, dict[str, Any]]) -> dict[str, str]:
    """google_service_account resource name => its literal account_id."""
    found: dict[str, str] = {}
    for block in blocks(documents):
        if block.type == "google_service_account":
            account_id = unquote(block.body.get("account_id"))
            if not isinstance(account_id, str) or "${" in account_id:
                raise AssertionError(f"{block.address}: account_id must be a literal, got {account_id!r}")
            if found.get(block.name, account_id) != account_id:
                raise AssertionError(f"{block.address}: the resource name {block.name} names two accounts")
            found[block.name] = account_id
    return found


def _binding_roles(block: Block, policies: dict[str, Block]) -> set[str] | None:
    """What a project-level binding grants, or None when that cannot be read off the code."""
    if block.type == "google_project_iam_policy":
        reference = _POLICY_REF.search(str(block.body.get("policy_data", "")))
        if not reference or reference.group(1) not in policies:
            return None
        bindings = policies[reference.group(1)].body.get("binding", [])
        return {unquote(binding.get("role")) for binding in bindings} or None
    role = str(block.body.get("role", ""))
    if custom := _CUSTOM_ROLE.search(role):
        return {f"custom:{custom.group(1)}"}
    if role in ("${each.value}", "${each.key}"):
        # for_each over a literal set of roles: each role is written out in the resource.
        roles = set(_ROLE.findall(str(block.body.get("for_each", ""))))
        roles |= {f"custom:{name}" for name in _CUSTOM_ROLE.findall(str(block.body.get("for_each", "")))}
        return roles or None
    literal = unquote(role)
    return {literal} if _ROLE.fullmatch(literal) else None


def _binding_members(block: Block, policies: dict[str, Block]) -> list[str]:
    if block.type == "google_project_iam_policy":
        reference = _POLICY_REF.search(str(block.body.get("policy_data", "")))
        policy = policies.get(reference.group(1)) if reference else None
        bindings = policy.body.get("binding", []) if policy else []
        return [member for binding in bindings for member in strings(binding.get("members", []))]
    if "members" in block.body:
        return list(strings(block.body["members"]))
    return [str(block.body.get("member", ""))]


@dataclass(frozen=True)
class ProjectGrant:
    address: str
    roles: frozenset[str] | None  # None: not readable off the code
    accounts: frozenset[str]  # account ids the members name
    unresolved_members: tuple[str, ...]


def project_grants(documents: dict[str, dict[str, Any]]) -> list[ProjectGrant]:
    """Every project-level IAM grant in the documents, with the roles and the accounts it names."""
    accounts = service_accounts(documents)
    policies = {block.name: block for block in blocks(documents, "data") if block.type == "google_iam_policy"}
    grants = []
    for block in blocks(documents):
        if block.type not in PROJECT_IAM_TYPES:
            continue
        roles = _binding_roles(block, policies)
        named: set[str] = set()
        unresolved = []
        for member in _binding_members(block, policies):
            references = _SA_REF.findall(member)
            emails = [local for local, _project in SA_EMAIL.findall(member)]
            if not references and not emails and not _GOOGLE_AGENT_REF.search(member):
                unresolved.append(member)
            named |= {accounts.get(ref, f"<undefined google_service_account.{ref}>") for ref in references}
            named |= set(emails)
        readable = None if roles is None else frozenset(roles)
        grants.append(ProjectGrant(block.address, readable, frozenset(named), tuple(unresolved)))
    return grants


def forbidden_project_grants(documents: dict[str, dict[str, Any]]) -> list[str]:
    """A line per project-level grant of a primitive role or roles/storage.admin, or of a role the
    code does not spell out (which could be either)."""
    findings = []
    for grant in project_grants(documents):
        if grant.roles is None:
            findings.append(f"{grant.address}: the role is not written out, so it cannot be checked")
        elif bad := sorted(grant.roles & FORBIDDEN_PROJECT_ROLES):
            findings.append(f"{grant.address}: project-wide {', '.join(bad)}")
    return findings


def primitive_roles_anywhere(documents: dict[str, dict[str, Any]]) -> list[str]:
    """A line per primitive role written anywhere (any resource, variable, local or tfvars value)."""
    findings = []
    for file, document in documents.items():
        for value in strings(document):
            for role in sorted(set(_ROLE.findall(value)) & PRIMITIVE_ROLES):
                findings.append(f"{file}: {role} in {value[:120]!r}")
    return findings


def load_all() -> dict[str, dict[str, Any]]:
    """Every .tf and .tfvars file under terraform/, parsed (a parse error names the file)."""
    return {str(path.relative_to(REPO)): parse_file(path) for path in terraform_files()}
