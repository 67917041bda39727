"""Violation reports for people: Markdown (a KFP Markdown artifact) or a standalone HTML page.

Both are rendered from the same list of blocks (headings, paragraphs, tables), so they always
carry the same content: a summary per table, every violation with examples, and the schema used.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from validate.report import ValidationReport, percent
from validate.schema import TableSchema

Table = tuple[list[str], list[list[str]]]
Block = tuple[str, str | Table]  # ("h1" | "h2" | "p", text) or ("table", (headers, rows))

_VIOLATION_HEADERS = ["column", "check", "expected", "observed", "rows", "share", "examples", "result"]


def render_markdown(
    reports: ValidationReport | Sequence[ValidationReport],
    schema: TableSchema | None = None,
    *,
    title: str = "Data validation report",
    schema_source: str | None = None,
) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines: list[str] = []
    for kind, content in _blocks(_as_list(reports), schema, title, schema_source):
        if isinstance(content, tuple):
            headers, rows = content
            lines.append("| " + " | ".join(_md(cell) for cell in headers) + " |")
            lines.append("|" + "---|" * len(headers))
            lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
        else:
            prefix = {"h1": "# ", "h2": "## "}.get(kind, "")
            lines.append(prefix + _md(content))
        lines.append("")
    return "\n".join(lines)


def render_html(
    reports: ValidationReport | Sequence[ValidationReport],
    schema: TableSchema | None = None,
    *,
    title: str = "Data validation report",
    schema_source: str | None = None,
) -> str:
    """The report as one self-contained HTML page."""
    body: list[str] = []
    for kind, content in _blocks(_as_list(reports), schema, title, schema_source):
        if isinstance(content, tuple):
            headers, rows = content
            head = "".join(f"<th>{html.escape(cell)}</th>" for cell in headers)
            cells = ["<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows]
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(cells)}</tbody></table>")
        else:
            body.append(f"<{kind}>{html.escape(content)}</{kind}>")
    style = (
        "body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}"
        "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _as_list(reports: ValidationReport | Sequence[ValidationReport]) -> list[ValidationReport]:
    return [reports] if isinstance(reports, ValidationReport) else list(reports)


def _blocks(
    reports: list[ValidationReport], schema: TableSchema | None, title: str, schema_source: str | None
) -> list[Block]:
    failed = [report for report in reports if not report.passed]
    verdict = f"FAILED: {len(failed)} of {len(reports)} tables" if failed else f"passed: all {len(reports)} tables"
    rate = reports[0].max_violation_rate if reports else 0.0
    blocks: list[Block] = [
        ("h1", title),
        ("p", f"Result: {verdict}. {_schema_origin(schema, schema_source)}"),
        (
            "p",
            f"Threshold: null-rate, range and category violations fail above {percent(rate)} of a table's rows;"
            " empty tables, missing required columns and wrong types always fail.",
        ),
        ("table", (["table", "rows", "result", "failures", "warnings"], [_summary_row(report) for report in reports])),
    ]
    for report in reports:
        blocks += _report_blocks(report)
    if schema is not None:
        blocks += [("h2", "Schema"), ("table", _schema_table(schema))]
    return blocks


def _schema_origin(schema: TableSchema | None, schema_source: str | None) -> str:
    if schema is None:
        return ""
    if schema.inferred_from is not None and not schema_source:
        info = schema.inferred_from
        return f"Schema: {len(schema.columns)} columns, inferred from {info.source} ({info.rows} rows)."
    return f"Schema: {len(schema.columns)} columns, from {schema_source or 'a schema file'}."


def _summary_row(report: ValidationReport) -> list[str]:
    result = "passed" if report.passed else "FAILED"
    return [report.name, str(report.rows), result, str(len(report.failures)), str(len(report.warnings))]


def _report_blocks(report: ValidationReport) -> list[Block]:
    blocks: list[Block] = [
        ("h2", f"{report.name}: {'passed' if report.passed else 'FAILED'}"),
        ("p", f"File: {report.path} ({report.rows} rows)."),
    ]
    if report.violations:
        rows = [
            [
                violation.column or "(table)",
                violation.check,
                violation.expected,
                violation.observed,
                str(violation.rows),
                percent(violation.share),
                ", ".join(violation.examples) + (", ..." if violation.more_examples else ""),
                "FAIL" if violation.fails else "warning",
            ]
            for violation in report.violations
        ]
        blocks.append(("table", (_VIOLATION_HEADERS, rows)))
    else:
        blocks.append(("p", "No violations."))
    if report.unchecked_columns:
        blocks.append(("p", "Not in the schema (not checked): " + ", ".join(report.unchecked_columns) + "."))
    if report.absent_optional_columns:
        blocks.append(("p", "Optional columns absent: " + ", ".join(report.absent_optional_columns) + "."))
    return blocks


def _schema_table(schema: TableSchema) -> Table:
    headers = ["column", "kind", "required", "max null rate", "min", "max", "categories"]
    rows = [
        [
            name,
            spec.kind,
            "yes" if spec.required else "no",
            percent(spec.max_null_rate),
            "" if spec.min is None else f"{spec.min:g}",
            "" if spec.max is None else f"{spec.max:g}",
            "" if spec.categories is None else ", ".join(spec.categories) or "(none allowed)",
        ]
        for name, spec in schema.columns.items()
    ]
    return headers, rows


def _md(text: str) -> str:
    """Escape Markdown syntax so data values are shown as typed, inside tables too."""
    escaped = re.sub(r"([\\`*<>|#])", r"\\\1", text.replace("\n", " ")).replace("](", "]\\(")  # no links
    # Underscores inside words (one_year) never start emphasis; only those at a word's edge are escaped.
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", escaped)
