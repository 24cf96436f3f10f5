"""The simulated Cloud Storage JSON API: the backup bucket and its object listing.

The backup freshness kind lists each database's dumps under a prefix; the ``backups`` fault
makes the staging database's newest backup stale, empty or missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ..common import iso, json_response, utc_now
from .shared import FakeApi, digest, google_error, page_offset

_BACKUP_AGES_H = (3, 27, 51, 75)  # a nightly backup, the newest 3 h old
_STALE_BACKUP_AGES_H = (30, 54, 78)
_STORAGE_PAGE_SIZE = 1000


class CloudStorage(FakeApi):
    """Cloud Storage of one simulated project: one bucket of backups and build sources."""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/storage/v1/b/{bucket}", self._get_bucket)
        app.router.add_get("/storage/v1/b/{bucket}/o", self._list_objects)

    def _objects(self, now: datetime) -> list[dict[str, Any]]:
        """The bucket's objects: each database's nightly backups and some Cloud Build sources."""
        world, faults = self.world, self.faults
        stamped: list[tuple[str, datetime, int]] = []
        for db in world.databases:
            ages: Iterable[int] = _BACKUP_AGES_H
            sizes = [48_213_377 + 1_013 * index for index in range(len(_BACKUP_AGES_H))]
            if db == world.staging_database:
                if faults.backups == "missing":
                    continue
                if faults.backups == "stale":
                    ages = _STALE_BACKUP_AGES_H
                if faults.backups == "empty":
                    sizes[0] = 0
            for hours, size in zip(ages, sizes, strict=False):
                dumped = (now - timedelta(hours=hours)).replace(microsecond=0)
                name = f"{world.backup_prefix}/{db}-{dumped.strftime('%Y%m%dT%H%M%SZ')}.sql.gz"
                stamped.append((name, dumped + timedelta(seconds=74), size))
        for hours in (5, 29):
            built = now - timedelta(hours=hours)
            name = f"source/{int(built.timestamp())}.412519-{digest(str(hours))[:32]}.tgz"
            stamped.append((name, built, 2_311_920))
        return [self._object_json(name, at, size) for name, at, size in sorted(stamped)]

    def _object_json(self, name: str, at: datetime, size: int) -> dict[str, Any]:
        bucket = self.world.bucket
        generation = str(int(at.timestamp() * 1_000_000))
        stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        escaped = quote(name, safe="")
        return {
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{generation}",
            "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}/o/{escaped}",
            "mediaLink": (
                f"https://storage.googleapis.com/download/storage/v1/b/{bucket}/o/{escaped}"
                f"?generation={generation}&alt=media"
            ),
            "name": name,
            "bucket": bucket,
            "generation": generation,
            "metageneration": "1",
            "contentType": "application/gzip",
            "storageClass": "STANDARD",
            "size": str(size),
            "md5Hash": digest(name, "md5")[:22] + "==",
            "crc32c": digest(name, "crc")[:6] + "==",
            "etag": digest(name, "etag")[:12],
            "timeCreated": stamp,
            "updated": stamp,
            "timeStorageClassUpdated": stamp,
        }

    def _bucket_error(self, bucket: str, permission: str) -> web.Response | None:
        denied = self.denied("storage", permission, f"projects/_/buckets/{bucket}")
        if denied is not None or bucket == self.world.bucket:
            return denied
        message = "The specified bucket does not exist."
        errors = [{"message": message, "domain": "global", "reason": "notFound"}]
        return google_error(404, message, extra={"errors": errors})

    async def _get_bucket(self, request: web.Request) -> web.Response:
        # The storage client fetches this by itself, in the background, for its tracing
        # attributes; a listing works without it, but a 404 here would be a lie.
        bucket = request.match_info["bucket"]
        if (error := self._bucket_error(bucket, "storage.buckets.get")) is not None:
            return error
        created = iso(utc_now() - timedelta(days=400))
        return json_response(
            200,
            {
                "kind": "storage#bucket",
                "id": bucket,
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}",
                "projectNumber": "123456789012",
                "name": bucket,
                "timeCreated": created,
                "updated": created,
                "metageneration": "1",
                "location": "US",
                "locationType": "multi-region",
                "storageClass": "STANDARD",
                "etag": "CAE=",
            },
        )

    async def _list_objects(self, request: web.Request) -> web.Response:
        bucket = request.match_info["bucket"]
        if (error := self._bucket_error(bucket, "storage.objects.list")) is not None:
            return error
        query = request.query
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        start = page_offset(query.get("pageToken"))
        try:
            page_size = int(query.get("maxResults") or _STORAGE_PAGE_SIZE)
        except ValueError:
            page_size = 0
        if start is None or page_size < 1:
            return google_error(400, "Invalid argument.")
        items: list[dict[str, Any]] = []
        prefixes: set[str] = set()
        for item in self._objects(utc_now()):
            name = item["name"]
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            if delimiter and delimiter in rest:
                prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
                continue
            items.append(item)
        answer: dict[str, Any] = {"kind": "storage#objects"}
        page = items[start : start + page_size]
        if page:
            answer["items"] = page  # left out when empty, as the real API does
        if prefixes:
            answer["prefixes"] = sorted(prefixes)
        if start + page_size < len(items) or "storage" in self.faults.endless_pages:
            answer["nextPageToken"] = str(start + page_size)
        return json_response(200, answer)
