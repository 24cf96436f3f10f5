"""The ``parity`` kind: the same requests against staging and production, compared field by field.

A release that is "the same build" in both environments should serve the same manifest version,
the same cache policies and the same service/version on /healthz; when configured, Cloud Run
should run the same image digest in both projects. The evidence is a side-by-side table, so a
reader sees at once which field drifted.
"""

from __future__ import annotations

import json
from typing import Any

import anyio

from cutover_probe.errors import CheckFailed
from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.google import gcloud
from cutover_probe.probes.httpclient import Response, fetch, join_url
from cutover_probe.probes.httpkind_spec import MISSING, resolve_pointer
from cutover_probe.probes.params import ParityParams

ENVIRONMENTS = ("staging", "prod")


def _value(response: Response | str, field: str) -> str:
    if isinstance(response, str):  # the request itself failed
        return f"<{response}>"
    if field.startswith("/"):
        try:
            value = resolve_pointer(json.loads(response.body), field)
        except (ValueError, UnicodeDecodeError):
            return "<not JSON>"
        return "<missing>" if value is MISSING else json.dumps(value)
    return response.headers.get(field, "<no header>")


async def run(ctx: ProbeContext, params: ParityParams) -> str | None:
    comparisons = params.compare
    bases = {"staging": params.staging_url, "prod": params.prod_url}
    answers: dict[tuple[int, str], Response | str] = {}

    async def get(position: int, env: str, path: str) -> None:
        try:
            answers[(position, env)] = await fetch(ctx, "GET", join_url(bases[env], path))
        except CheckFailed as exc:
            answers[(position, env)] = str(exc)

    async with anyio.create_task_group() as group:
        for position, comparison in enumerate(comparisons):
            for env in ENVIRONMENTS:
                group.start_soon(get, position, env, comparison.path)
        if params.cloudrun_service:
            group.start_soon(_images, ctx, params, answers)

    rows: list[dict[str, Any]] = []
    for position, comparison in enumerate(comparisons):
        for field in (*comparison.json, *comparison.headers):
            staging = _value(answers[(position, "staging")], field)
            prod = _value(answers[(position, "prod")], field)
            where = f"{comparison.path} {'JSON ' if field.startswith('/') else 'header '}{field}"
            # A field missing on both sides is a misspelt pointer or header, not parity.
            same = staging == prod and not staging.startswith("<")
            rows.append({"field": where, "staging": staging, "prod": prod, "same": same})
    if params.cloudrun_service:
        staging_image = str(answers.get((-1, "staging"), "<not read>"))
        prod_image = str(answers.get((-1, "prod"), "<not read>"))
        rows.append(
            {
                "field": f"Cloud Run {params.cloudrun_service} image",
                "staging": staging_image,
                "prod": prod_image,
                "same": staging_image == prod_image and not staging_image.startswith("<"),
            }
        )
    ctx.details["parity"] = rows
    ctx.log("field | staging | prod | same")
    for row in rows:
        ctx.log(
            f"{row['field']} | {row['staging']} | {row['prod']} | {'yes' if row['same'] else 'NO'}"
        )
    differing = [row for row in rows if not row["same"]]
    if differing:
        raise CheckFailed(
            "; ".join(
                f"{row['field']} differs: staging {row['staging']}, prod {row['prod']}"
                for row in differing
            )
        )
    return f"{len(rows)} fields identical in staging and prod"


async def _images(
    ctx: ProbeContext, params: ParityParams, answers: dict[tuple[int, str], Any]
) -> None:
    from cutover_probe.probes.google.cloudrun import clients, first_image

    target, run = await clients(ctx)
    service = params.cloudrun_service
    projects = {"staging": params.staging_project, "prod": params.prod_project}
    regions = {"staging": params.staging_region, "prod": params.prod_region}

    async def image(env: str) -> None:
        name = f"projects/{projects[env]}/locations/{regions[env]}/services/{service}"
        try:
            found = await gcloud.call(
                ctx,
                target,
                f"get {env} service {service}",
                "run.services.get",
                lambda: run.services.get_service(
                    name=name, timeout=gcloud.CALL_TIMEOUT_S, retry=None
                ),
                scope=name,
            )
        except CheckFailed as exc:
            answers[(-1, env)] = f"<{exc}>"
            return
        answers[(-1, env)] = first_image(found.template.containers) or "<no image>"

    async with anyio.create_task_group() as group:
        for env in ENVIRONMENTS:
            group.start_soon(image, env)
