"""Where a run's outputs came from, computed from its run record when asked.

Nothing here names a pipeline's steps: the chain is the run's inputs (its `*_uri` parameters) and
then every output artifact of every task, in the order the run record lists the tasks. A step
added to a pipeline appears in the lineage of the runs that ran it, with no change here or in the
views; and because lineage is computed from the stored record rather than stored itself, a run
recorded before a change to this module is shown as the current code shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlops.runs import RunRecord

METRICS = "system.Metrics"  # KFP's scalar metrics artifact type


@dataclass(frozen=True)
class LineageLink:
    """One output artifact of one task."""

    step: str
    output: str
    uri: str
    # Numeric metadata the step attached to the artifact (a Metrics artifact's scores, row counts).
    metrics: dict[str, float] = field(default_factory=dict)
    kind: str = ""  # the artifact's schema title (system.Metrics, ...); Vertex AI does not report it


@dataclass(frozen=True)
class RegisteredVersion:
    model_name: str
    version: str


@dataclass(frozen=True)
class Lineage:
    run_id: str
    pipeline: str
    inputs: dict[str, str]  # parameter name -> URI
    links: list[LineageLink]
    registered: RegisteredVersion | None = None

    def uri(self, step: str, output: str) -> str | None:
        """The URI of `step`'s output `output`, or None if the run has no such output."""
        return next((link.uri for link in self.links if (link.step, link.output) == (step, output)), None)

    def metrics(self) -> dict[str, float]:
        """The scores of every Metrics artifact in one map (later steps win on a name clash)."""
        return {name: value for link in self.links if link.kind == METRICS for name, value in link.metrics.items()}


def lineage_of(record: RunRecord, registered: RegisteredVersion | None = None) -> Lineage:
    """The lineage of the run in `record`; `registered` is the model version it registered, if any."""
    # Parameters that name data or stores are the run's inputs, by the `_uri` naming convention
    # every pipeline's parameters follow; empty ones (an optional input left out) are not inputs.
    inputs = {
        name: value
        for name, value in record.parameters.items()
        if name.endswith("_uri") and isinstance(value, str) and value
    }
    links = [
        LineageLink(task.name, output, value["uri"], _numeric(value.get("metadata")), value.get("type", ""))
        for task in record.tasks
        for output, value in task.outputs.items()
        if isinstance(value, dict) and value.get("uri")
    ]
    return Lineage(record.run_id, record.pipeline, inputs, links, registered)


def _numeric(metadata: object) -> dict[str, float]:
    if not isinstance(metadata, dict):
        return {}
    return {
        str(name): float(value)
        for name, value in metadata.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
