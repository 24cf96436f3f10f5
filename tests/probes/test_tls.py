"""The TLS check against a local HTTPS server with certificates of our own: a private CA passes and
reports days left; each failure says which."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cutover_probe.model import Status

from ..end_to_end.test_hostile_networks import tls_outcomes
from ..tlsutil import issue, make_ca


@pytest.mark.anyio
async def test_tls_with_private_ca_passes_and_reports_days_left(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    outcomes = await tls_outcomes(tmp_path, issue(ca, tmp_path, days_valid=30), ca.cert_path)
    assert outcomes["health"].status is Status.PASSED
    assert outcomes["cert"].status is Status.PASSED
    assert outcomes["cert"].reason in (
        "certificate valid for 30 more days",
        "certificate valid for 29 more days",
    )
    low = await tls_outcomes(tmp_path, issue(ca, tmp_path, days_valid=30), ca.cert_path, 60)
    assert low["cert"].status is Status.FAILED
    assert re.search(
        r"^127\.0\.0\.1: certificate expires in (29\.9|30\.0) days \(at least 60 required\)$",
        low["cert"].reason,
    )


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kind", "cause"),
    [
        ("expired", "TLS certificate expired"),
        ("self_signed", "TLS self-signed certificate"),
        ("mismatch", "TLS hostname mismatch"),
        ("untrusted", "TLS certificate from an unknown authority"),
    ],
)
async def test_tls_failures_say_which(tmp_path: Path, kind: str, cause: str) -> None:
    ca = make_ca(tmp_path)
    cert = {
        "expired": lambda: issue(ca, tmp_path, expired=True),
        "self_signed": lambda: issue(ca, tmp_path, self_signed=True),
        "mismatch": lambda: issue(ca, tmp_path, san_dns=("other.example",), san_ip=()),
        "untrusted": lambda: issue(ca, tmp_path),
    }[kind]()
    bundle = None if kind == "untrusted" else ca.cert_path
    outcomes = await tls_outcomes(tmp_path, cert, bundle)
    for check_id in ("health", "cert"):
        assert outcomes[check_id].status is Status.FAILED
        assert cause in outcomes[check_id].reason, outcomes[check_id].reason
