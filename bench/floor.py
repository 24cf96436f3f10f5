"""The libraries' floor under a scaled run: its requests with nothing of ours around them.

`make bench` runs this beside `cutover-probe run` at the same size: the same number of HTTP
requests through one plain aiohttp session (the same connection limits and `--max-parallel`),
and the same Google calls through the same client libraries (run_v2's REST clients, logging's
JSON client, anonymous credentials against the simulated fleet's emulator), each call in a
thread of a pool, all at once, in one process. No checks, no evidence, no redaction, no report:
what is left is the libraries' own CPU (their imports included, as a run pays them), which one
process with one GIL cannot go below.

    python bench/floor.py --http N --environments E --max-parallel 256 [fleet variables...]

Prints one JSON line: {"wall_s", "cpu_s", "http", "google"}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PROJECT, REGION = "openagentsgemini", "us-central1"
CONTROL_SERVICE, RUNTIME_SERVICE, JOB = "openagents-control-service", "runtime", "runtime-migrate"
# A Google call runs in one of this many threads at a time (the run's call slots are 128; the
# fleet answers after its latency, so more threads than calls in flight would only idle).
GOOGLE_THREADS = 64
# The Google calls of one environment of the matrix (drift 3, canary 2, error logs 2).
CALLS_PER_ENVIRONMENT = 7


def google_calls(environments: int) -> list[Any]:
    """Per environment, the calls the matrix's Google checks make: drift (service, job,
    executions), canary (service, revisions) and two error-log reads."""
    import requests
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import logging as cloud_logging
    from google.cloud import run_v2

    run_url = os.environ["CLOUD_RUN_EMULATOR_HOST"]
    logging_url = os.environ["CLOUD_LOGGING_EMULATOR_HOST"]
    creds = AnonymousCredentials()
    options = {"api_endpoint": run_url}

    def pooled(session: Any) -> Any:
        # As many pooled connections as calls in flight, as a run's sessions have: with
        # requests' default of 10, every call past the tenth connects anew.
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=GOOGLE_THREADS))
        return session

    def client(kind: Any) -> Any:
        made = kind(transport="rest", credentials=creds, client_options=options)
        pooled(made.transport._session)
        return made

    services = client(run_v2.ServicesClient)
    jobs = client(run_v2.JobsClient)
    executions = client(run_v2.ExecutionsClient)
    revisions = client(run_v2.RevisionsClient)
    logs = cloud_logging.Client(
        project=PROJECT,
        credentials=creds,
        _use_grpc=False,
        _http=pooled(requests.Session()),
        client_options={"api_endpoint": logging_url},
    )
    parent = f"projects/{PROJECT}/locations/{REGION}"
    job = f"{parent}/jobs/{JOB}"

    def service(name: str) -> Any:
        return lambda: services.get_service(name=f"{parent}/services/{name}", retry=None)

    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))

    def errors(name: str) -> Any:
        # The matrix's filter: the last 10 minutes (cloudlogging.build_filter).
        query = (
            f'resource.type="cloud_run_revision" AND resource.labels.service_name="{name}" '
            f'AND severity>=ERROR AND timestamp>="{since}"'
        )
        return lambda: list(
            logs.list_entries(
                resource_names=[f"projects/{PROJECT}"],
                filter_=query,
                order_by=cloud_logging.DESCENDING,
                max_results=20,
                page_size=20,
            )
        )

    one = [  # CALLS_PER_ENVIRONMENT
        service(RUNTIME_SERVICE),
        lambda: jobs.get_job(name=job, retry=None),
        lambda: list(executions.list_executions(parent=job, retry=None)),
        service(CONTROL_SERVICE),
        lambda: list(
            revisions.list_revisions(parent=f"{parent}/services/{CONTROL_SERVICE}", retry=None)
        ),
        errors(CONTROL_SERVICE),
        errors(RUNTIME_SERVICE),
    ]
    assert len(one) == CALLS_PER_ENVIRONMENT
    return one * environments


async def main(http: int, urls: list[str], environments: int, max_parallel: int) -> int:
    import aiohttp

    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(GOOGLE_THREADS)
    # The client libraries' import, off the loop as a run does it.
    calls = await loop.run_in_executor(pool, google_calls, environments)
    places = asyncio.Semaphore(max_parallel)
    connector = aiohttp.TCPConnector(limit=400, limit_per_host=100)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(index: int) -> None:
            async with places, session.get(urls[index % len(urls)]) as answer:
                await answer.read()

        async def google(call: Any) -> None:
            async with places:
                await loop.run_in_executor(pool, call)

        await asyncio.gather(*(get(i) for i in range(http)), *(google(c) for c in calls))
    pool.shutdown()
    return len(calls)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", type=int, required=True, help="plain GETs to make")
    parser.add_argument("--environments", type=int, required=True)
    parser.add_argument("--max-parallel", type=int, default=256)
    parser.add_argument("urls", nargs="+", help="the fleets' control health URLs")
    args = parser.parse_args()
    began = time.monotonic()
    made = asyncio.run(main(args.http, args.urls, args.environments, args.max_parallel))
    used = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "wall_s": round(time.monotonic() - began, 3),
                "cpu_s": round(used.ru_utime + used.ru_stime, 3),
                "http": args.http,
                "google": made,
            }
        )
    )
