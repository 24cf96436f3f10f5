"""Go/No-Go rule 5: a fresh Laravel database backup for every database, read from Cloud Storage.

`backup-laravel-db.sh` writes ``<prefix>/<db>-<YYYYMMDDTHHMMSSZ>.sql.gz``. Fresh means: for each
database, the newest such object is younger than the maximum age and not empty. No freshness
check existed before; this is it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import anyio

from cutover_probe.probes.context import ProbeContext
from cutover_probe.probes.google import gcloud
from cutover_probe.probes.google.workers import built_once
from cutover_probe.probes.params import BackupFreshnessParams
from cutover_probe.probes.rules import verdict

STAMP = "%Y%m%dT%H%M%SZ"


@built_once
def _client(target: gcloud.Endpoint, project: str) -> Any:
    storage = gcloud.library("google.cloud.storage")
    creds = gcloud.credentials(target)
    return storage.Client(
        project=project,
        credentials=creds,
        _http=gcloud.session(target, creds),
        client_options=gcloud.client_options(target),
    )


def _list(target: gcloud.Endpoint, project: str, bucket: str, prefix: str) -> list[Any]:
    client = _client(target, project)
    return list(client.list_blobs(bucket, prefix=prefix, timeout=gcloud.CALL_TIMEOUT_S, retry=None))


def split_bucket(value: str) -> tuple[str, str]:
    """``gs://bucket/some/prefix`` or ``bucket`` → (bucket, prefix inside it)."""
    bare = value.removeprefix("gs://").strip("/")
    bucket, _, rest = bare.partition("/")
    return bucket, rest


async def run_freshness(ctx: ProbeContext, params: BackupFreshnessParams) -> str | None:
    bucket, bucket_prefix = split_bucket(params.bucket)
    prefix = "/".join(p for p in (bucket_prefix, params.prefix.strip("/")) if p)
    databases = [db.strip() for db in params.databases.split(",") if db.strip()]
    max_age_h = float(params.max_age_hours)
    target = gcloud.endpoint("storage", ctx.environ)
    problems: dict[str, str] = {}
    newest: dict[str, dict[str, Any]] = {}

    async def check(db: str) -> None:
        pattern = re.compile(rf"^{re.escape(prefix)}/{re.escape(db)}-(\d{{8}}T\d{{6}}Z)\.sql\.gz$")
        blobs = await gcloud.call(
            ctx,
            target,
            f"list gs://{bucket}/{prefix}/{db}-*",
            "storage.objects.list",
            lambda: _list(target, params.project, bucket, f"{prefix}/{db}-"),
            scope=f"gs://{bucket}",
        )
        dated = []
        for blob in blobs:
            match = pattern.match(blob.name)
            if match:
                stamp = datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC)
                dated.append((stamp, blob))
        if not dated:
            problems[db] = f"{db}: no backup named {prefix}/{db}-<YYYYMMDDTHHMMSSZ>.sql.gz"
            ctx.log(f"{db}: no backup found")
            return
        stamp, blob = max(dated, key=lambda pair: pair[0])
        age_s = (datetime.now(UTC) - stamp).total_seconds()
        size = int(blob.size or 0)
        newest[db] = {"object": f"gs://{bucket}/{blob.name}", "age_s": round(age_s), "size": size}
        ctx.log(
            f"{db}: newest gs://{bucket}/{blob.name}, {gcloud.age_text(age_s)} old, {size} bytes"
        )
        if age_s > max_age_h * 3600:
            problems[db] = (
                f"{db}: newest backup is {gcloud.age_text(age_s)} old "
                f"(at most {max_age_h:g}h allowed)"
            )
        elif size == 0:
            problems[db] = f"{db}: newest backup {blob.name} is empty"

    async with anyio.create_task_group() as group:
        for db in databases:
            group.start_soon(check, db)
    ctx.details["backups"] = newest
    verdict([problems[db] for db in databases if db in problems])
    return None
