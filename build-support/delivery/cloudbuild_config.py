"""Cloud Build config files, read and checked against the documented schema (the `Build` resource:
https://cloud.google.com/build/docs/build-config-file-schema), and their substitutions applied.

The check catches what Cloud Build would reject only once a trigger fires: unknown fields (typos),
wrong types, bad enum values, user substitutions not named `_UPPER`, a `$VARIABLE` that is neither
built in nor declared, duplicate step ids and `waitFor` naming a step that does not come before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

STEP_FIELDS = {
    "name": str, "args": list, "env": list, "allowFailure": bool, "allowExitCodes": list, "dir": str, "id": str,
    "waitFor": list, "entrypoint": str, "secretEnv": list, "volumes": list, "timeout": str, "script": str,
    "automapSubstitutions": bool,
}  # fmt: skip
BUILD_FIELDS = {
    "steps": list, "timeout": str, "queueTtl": str, "logsBucket": str, "options": dict, "substitutions": dict,
    "tags": list, "serviceAccount": str, "secrets": list, "availableSecrets": dict, "artifacts": dict, "images": list,
}  # fmt: skip
OPTION_FIELDS = {
    "env": list, "secretEnv": list, "volumes": list, "sourceProvenanceHash": list, "machineType": str,
    "diskSizeGb": (int, str), "substitutionOption": str, "dynamicSubstitutions": bool, "automapSubstitutions": bool,
    "logStreamingOption": str, "logging": str, "defaultLogsBucketBehavior": str, "pool": dict,
    "pubsubTopic": str, "requestedVerifyOption": str,
}  # fmt: skip
OPTION_ENUMS = {
    "machineType": {"UNSPECIFIED", "N1_HIGHCPU_8", "N1_HIGHCPU_32", "E2_HIGHCPU_8", "E2_HIGHCPU_32", "E2_MEDIUM"},
    "substitutionOption": {"MUST_MATCH", "ALLOW_LOOSE"},
    "logStreamingOption": {"STREAM_DEFAULT", "STREAM_ON", "STREAM_OFF"},
    "logging": {"LOGGING_UNSPECIFIED", "LEGACY", "GCS_ONLY", "STACKDRIVER_ONLY", "CLOUD_LOGGING_ONLY", "NONE"},
    "requestedVerifyOption": {"NOT_VERIFIED", "VERIFIED"},
}
# Substitutions Cloud Build provides itself (triggers add the repository and pull-request ones).
BUILT_IN = {
    "PROJECT_ID", "PROJECT_NUMBER", "BUILD_ID", "LOCATION", "TRIGGER_NAME", "COMMIT_SHA", "REVISION_ID",
    "SHORT_SHA", "REPO_NAME", "REPO_FULL_NAME", "BRANCH_NAME", "TAG_NAME", "REF_NAME", "TRIGGER_BUILD_CONFIG_PATH",
    "SERVICE_ACCOUNT_EMAIL", "SERVICE_ACCOUNT", "_HEAD_BRANCH", "_BASE_BRANCH", "_HEAD_REPO_URL", "_PR_NUMBER",
}  # fmt: skip
DURATION = re.compile(r"^\d+(\.\d{1,9})?s$")
USER_SUBSTITUTION = re.compile(r"^_[A-Z0-9_]+$")
# $$ is a literal dollar; $NAME and ${NAME} are substitutions.
VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class CloudBuildConfigError(Exception):
    """The config would be rejected by Cloud Build; the message names the file and field."""


def load(path: Path) -> dict[str, Any]:
    """The config in `path`, checked; raises CloudBuildConfigError listing every problem."""
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise CloudBuildConfigError(f"{path}: not readable YAML: {error}") from None
    problems = check(config)
    if problems:
        raise CloudBuildConfigError(f"{path}: " + "; ".join(problems))
    return config


def _fields(where: str, mapping: Any, allowed: Mapping[str, Any]) -> list[str]:
    if not isinstance(mapping, dict):
        return [f"{where}: expected a mapping"]
    problems = [f"{where}.{key}: unknown field" for key in mapping if key not in allowed]
    problems += [
        f"{where}.{key}: expected {getattr(allowed[key], '__name__', 'a number or string')}"
        for key, value in mapping.items()
        if key in allowed and not isinstance(value, allowed[key])
    ]
    return problems


def check(config: Any) -> list[str]:
    """Every problem with `config` (a parsed YAML document), or an empty list."""
    problems = _fields("build", config, BUILD_FIELDS)
    if problems and not isinstance(config, dict):
        return problems
    steps = config.get("steps")
    if not steps:
        problems.append("build.steps: at least one step is required")
    declared = config.get("substitutions") or {}
    problems += [f"substitutions.{key}: user substitutions are named _UPPER_CASE" for key in declared
                 if not USER_SUBSTITUTION.match(str(key))]  # fmt: skip
    problems += [f"substitutions.{key}: values are strings" for key, value in declared.items()
                 if not isinstance(value, str)]  # fmt: skip
    for key in ("timeout", "queueTtl"):
        if key in config and not DURATION.match(str(config[key])):
            problems.append(f"build.{key}: {config[key]!r} is not a duration such as 600s")
    options = config.get("options", {})
    problems += _fields("options", options, OPTION_FIELDS)
    for key, values in OPTION_ENUMS.items():
        if isinstance(options, dict) and key in options and options[key] not in values:
            problems.append(f"options.{key}: {options[key]!r} is not one of {', '.join(sorted(values))}")
    logged = "logsBucket" in config or (isinstance(options, dict) and "logging" in options)
    if "serviceAccount" in config and not logged:
        problems.append("build.serviceAccount: a build with a service account must set options.logging or logsBucket")
    ids: list[str] = []
    for index, step in enumerate(steps or []):
        where = f"steps[{index}]" + (f" ({step.get('id')})" if isinstance(step, dict) and step.get("id") else "")
        problems += _fields(where, step, STEP_FIELDS)
        if not isinstance(step, dict):
            continue
        if "name" not in step:
            problems.append(f"{where}.name: required")
        if "timeout" in step and not DURATION.match(str(step["timeout"])):
            problems.append(f"{where}.timeout: {step['timeout']!r} is not a duration such as 600s")
        for wait in step.get("waitFor", []):
            if wait != "-" and wait not in ids:
                problems.append(f"{where}.waitFor: {wait!r} is not the id of an earlier step")
        if "id" in step:
            if step["id"] in ids:
                problems.append(f"{where}.id: {step['id']!r} is used twice")
            ids.append(step["id"])
    known = BUILT_IN | set(declared)
    problems += [f"${name}: neither a built-in substitution nor declared in substitutions"
                 for name in sorted(used_variables(config) - known)]  # fmt: skip
    return problems


def used_variables(config: Any) -> set[str]:
    """Every `$NAME` / `${NAME}` in the config's strings (not in `$$`-escaped text)."""
    if isinstance(config, str):
        return {match.group(1) or match.group(2) for match in VARIABLE.finditer(config) if match.group(0) != "$$"}
    if isinstance(config, dict):
        return set().union(*(used_variables(value) for value in config.values())) if config else set()
    if isinstance(config, list):
        return set().union(*(used_variables(value) for value in config)) if config else set()
    return set()


def substitute(config: Any, values: Mapping[str, str]) -> Any:
    """`config` with every substitution replaced, as Cloud Build does before running the steps."""
    if isinstance(config, str):
        return VARIABLE.sub(lambda match: "$" if match.group(0) == "$$" else values[match.group(1) or match.group(2)],
                            config)  # fmt: skip
    if isinstance(config, dict):
        return {key: substitute(value, values) for key, value in config.items() if key != "substitutions"}
    if isinstance(config, list):
        return [substitute(value, values) for value in config]
    return config
