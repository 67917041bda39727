"""mlops.pipeline_spec: which parameters a compiled spec still needs, and writing defaults into it."""

from __future__ import annotations

import pytest

from mlops import pipeline_spec

SPEC = {
    "pipelineInfo": {"name": "p"},
    "root": {
        "inputDefinitions": {
            "parameters": {
                "source_uri": {"parameterType": "STRING"},
                "labels": {"parameterType": "STRUCT"},
                "seed": {"parameterType": "NUMBER_INTEGER", "defaultValue": 7.0, "isOptional": True},
                "note": {"parameterType": "STRING", "isOptional": True},
            }
        }
    },
}


def test_missing_and_unknown_parameters() -> None:
    assert pipeline_spec.missing_parameters(SPEC, []) == ["labels", "source_uri"]
    assert pipeline_spec.missing_parameters(SPEC, ["labels"]) == ["source_uri"]
    assert pipeline_spec.unknown_parameters(SPEC, ["seed", "sorce_uri"]) == ["sorce_uri"]
    assert pipeline_spec.defaults(SPEC) == {"seed": 7.0}


def test_with_defaults_makes_a_spec_that_needs_nothing_and_leaves_the_original_alone() -> None:
    filled = pipeline_spec.with_defaults(SPEC, {"source_uri": "gs://b/x.csv", "labels": {"team": "growth"}})
    assert pipeline_spec.missing_parameters(filled, []) == []
    assert pipeline_spec.defaults(filled) == {"source_uri": "gs://b/x.csv", "labels": {"team": "growth"}, "seed": 7.0}
    assert pipeline_spec.missing_parameters(SPEC, []) == ["labels", "source_uri"]


def test_a_default_for_an_undeclared_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match=r"declares no parameter\(s\) \['sorce_uri'\]"):
        pipeline_spec.with_defaults(SPEC, {"sorce_uri": "x"})
