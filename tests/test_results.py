"""The results model (cutover_probe/results.py): results.json in and out unchanged, bad
documents refused naming the place, typed evidence, value mapping that never touches keys or
schema words, and docs/results-schema.md documenting exactly the fields the model writes."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from cutover_probe.errors import UsageError
from cutover_probe.model import Status
from cutover_probe.results import (
    CanaryTraffic,
    DomainRecord,
    ErrorGroups,
    MigrationDrift,
    RunResults,
    TrafficTarget,
)

SCHEMA_DOC = Path(__file__).resolve().parents[1] / "docs" / "results-schema.md"


def a_check(check_id: str, details: dict[str, Any], status: str = "passed") -> dict[str, Any]:
    return {
        "id": check_id,
        "kind": "cloudrun-canary",
        "environment": "prod",
        "required": True,
        "description": "d",
        "status": status,
        "reason": "",
        "command": "c",
        "log_path": f"logs/{check_id}.log",
        "started_ms": 1.5,
        "duration_ms": 3,  # an integer stays an integer: the bytes do not change
        "attempts": 1,
        "evidence": ["line"],
        "details": details,
    }


def a_document() -> dict[str, Any]:
    return {
        "schema": "cutover-probe/results/v1",
        "tool": {"name": "cutover-probe", "version": "0.1.0"},
        "title": "Validation Matrix",
        "timestamp": "2026-11-27T09:37:56Z",
        "wall_ms": 12.5,
        "verdict": {
            "overall": "failed",
            "label": "NO-GO",
            "exit_code": 1,
            "gating": True,
            "why": "1 required failed",
            "counts": {
                "total": 3,
                "passed": 2,
                "required_failures": 1,
                "optional_failures": 0,
                "required_skipped": 0,
                "optional_skipped": 0,
                "cancelled": 0,
            },
        },
        "environment": {"STAGING_CONTROL_BASE_URL": "http://127.0.0.1:1"},
        "domain_mappings": [
            {
                "environment": "staging",
                "domain": "staging.example.com",
                "Ready": "True",
                "CertificateProvisioned": "False",
                "CertificateProvisioned_message": "pending",
                "route": "svc",
                "evidence": ["get domain mapping staging.example.com -> ok (1 ms)"],
            }
        ],
        "matrix": {"source": "m.toml", "ids": ["canary", "drift", "logs"]},
        "shard": None,
        "checks": [
            a_check(
                "canary",
                {
                    "traffic": [
                        {"revision": "r1", "percent": 90, "tag": "", "ready": True},
                        {"revision": "r2", "percent": 10, "tag": "next", "ready": None},
                    ],
                    "retried": ["get service: passed on attempt 2"],
                },
            ),
            a_check(
                "drift",
                {
                    "service_image": "img@sha256:1",
                    "job_image": "img@sha256:2",
                    "newest_execution": {"name": "x", "state": "succeeded", "age_s": None},
                },
                status="failed",
            ),
            a_check(
                "logs",
                {
                    "error_groups": [
                        {
                            "message": "boom",
                            "count": 2,
                            "severity": ["ERROR"],
                            "revisions": ["r1"],
                            "last": None,
                        }
                    ],
                    "open": {"any": ["thing"]},
                },
            ),
        ],
    }


def test_to_json_gives_back_the_document_byte_for_byte() -> None:
    doc = a_document()
    results = RunResults.from_json(copy.deepcopy(doc), "r.json")
    assert json.dumps(results.to_json(), indent=2) == json.dumps(doc, indent=2)
    assert results.dumps() == json.dumps(doc, indent=2) + "\n"
    merged = {**doc, "shard": None, "merged_from": ["s1", "s2"]}
    assert RunResults.from_json(merged, "m.json").to_json() == merged


def test_evidence_is_typed_per_kind() -> None:
    results = RunResults.from_json(a_document(), "r.json")
    canary, drift, logs = results.checks
    assert canary.status is Status.PASSED
    assert canary.details.evidence == (
        CanaryTraffic(
            (TrafficTarget("r1", 90, "", True), TrafficTarget("r2", 10, "next", None)),
        ),
    )
    assert canary.details.retried == ("get service: passed on attempt 2",)
    (found,) = drift.details.evidence
    assert isinstance(found, MigrationDrift)
    assert (found.service_image, found.job_image) == ("img@sha256:1", "img@sha256:2")
    assert found.newest_execution is not None
    assert found.newest_execution.image == ""
    (groups,) = logs.details.evidence
    assert isinstance(groups, ErrorGroups)
    assert [(g.message, g.count, g.severity) for g in groups.groups] == [("boom", 2, ("ERROR",))]
    record = results.domain_mappings[0]
    assert (record.condition("Ready"), record.condition("CertificateProvisioned")) == (
        "True",
        "False",
    )
    assert record.message("CertificateProvisioned") == "pending"


def test_map_strings_changes_values_never_keys_or_schema_words() -> None:
    results = RunResults.from_json(a_document(), "r.json")
    shouted = results.map_strings(str.upper).to_json()
    assert shouted["title"] == "VALIDATION MATRIX"
    assert shouted["checks"][0]["details"]["traffic"][1]["tag"] == "NEXT"
    assert shouted["environment"] == {"STAGING_CONTROL_BASE_URL": "HTTP://127.0.0.1:1"}
    # Schema words and keys stay as they are: renderers and readers look them up.
    assert shouted["schema"] == "cutover-probe/results/v1"
    assert shouted["verdict"]["label"] == "NO-GO"
    assert shouted["verdict"]["overall"] == "failed"
    assert [c["status"] for c in shouted["checks"]] == ["passed", "failed", "passed"]
    assert set(shouted["checks"][2]["details"]) == {"error_groups", "open"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["checks"][1].update(status=7),
            "old/results.json: checks[1].status: expected one of passed, failed, skipped, "
            "cancelled, got 7",
        ),
        (
            lambda d: d["checks"][0]["details"]["traffic"][0].update(percent="90"),
            "old/results.json: checks[0].details.traffic[0].percent: expected a whole number, "
            "got '90'",
        ),
        (
            lambda d: d["verdict"]["counts"].pop("cancelled"),
            "old/results.json: verdict.counts.cancelled: missing",
        ),
        (
            lambda d: d.update(schema="cutover-probe/results/v2"),
            "old/results.json: schema 'cutover-probe/results/v2', expected "
            "'cutover-probe/results/v1'",
        ),
    ],
)
def test_a_bad_document_is_a_usage_error_naming_file_and_place(edit: Any, message: str) -> None:
    doc = a_document()
    edit(doc)
    with pytest.raises(UsageError) as caught:
        RunResults.from_json(doc, "old/results.json")
    assert str(caught.value) == message


# --- docs/results-schema.md documents exactly what the model writes ---------------------------


def documented_fields(section: str) -> set[str]:
    """The backticked names in the first column of a section's field table."""
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            names |= set(re.findall(r"`([^`]+)`", first))
    return names


def documented_row(section: str, field: str) -> str:
    """The meaning column of one field's row (where nested objects are spelled out)."""
    text = SCHEMA_DOC.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    row = next(line for line in body.splitlines() if line.startswith(f"| `{field}` |"))
    return row.split("|")[3]


def named(row: str) -> set[str]:
    """`name` or ``{"key": …}`` spellings of nested fields in a row."""
    return set(re.findall(r"`(\w+)`", row)) | set(re.findall(r'"(\w+)":', row))


def test_the_schema_doc_documents_every_field_the_model_writes_and_no_other() -> None:
    merged = {**a_document(), "merged_from": ["s1"]}
    written = RunResults.from_json(merged, "r.json").to_json()
    assert set(written) == documented_fields("Top level")
    assert set(written["verdict"]) == documented_fields("verdict")
    assert set(written["checks"][0]) == documented_fields("checks")
    assert set(written["verdict"]["counts"]) == named(documented_row("verdict", "counts"))
    assert set(written["tool"]) == named(documented_row("Top level", "tool"))
    assert set(written["matrix"]) == named(documented_row("Top level", "matrix"))
    sharded = RunResults.from_json({**a_document(), "shard": {"index": 1, "count": 2}}, "r")
    shard = sharded.to_json()["shard"]
    assert set(shard) == set(re.findall(r'"(\w+)":', documented_row("Top level", "shard")))
    assert documented_fields("domain_mappings") == DomainRecord.FIELDS
