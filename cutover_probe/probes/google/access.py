"""Which endpoint each Google API is reached at, and whether there are credentials for it.

What planning needs to know about Google, from the environment and the file system alone: no
network, no subprocess, no Google library, no anyio. `gcloud.py` (the calls themselves) imports
it back and re-exports its names; it lives apart so that `cutover-probe plan` imports none of
the call machinery (start-up, docs/performance.md).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Api = Literal["run", "logging", "storage"]
EMULATOR_VARIABLES: dict[Api, str] = {
    "run": "CLOUD_RUN_EMULATOR_HOST",
    "logging": "CLOUD_LOGGING_EMULATOR_HOST",
    "storage": "STORAGE_EMULATOR_HOST",
}
HOW_TO_AUTHENTICATE = (
    "no Google Cloud credentials: run `gcloud auth application-default login` (or `gcloud auth "
    "login` with gcloud on the PATH), or set GOOGLE_APPLICATION_CREDENTIALS to a service "
    "account key file"
)
# gcloud's own variables naming another endpoint for an API (regional, Private Service Connect):
# unlike an emulator, it is called with the real credentials.
ENDPOINT_OVERRIDE_VARIABLES: dict[Api, str] = {
    "run": "CLOUDSDK_API_ENDPOINT_OVERRIDES_RUN",
    "logging": "CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING",
    "storage": "CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE",
}

API_NAMES: dict[Api, str] = {
    "run": "Cloud Run",
    "logging": "Cloud Logging",
    "storage": "Cloud Storage",
}


def emulator_endpoint(api: Api, environ: Mapping[str, str]) -> str | None:
    raw = environ.get(EMULATOR_VARIABLES[api], "").strip()
    if not raw:
        return None
    return raw.rstrip("/") if "://" in raw else f"http://{raw.rstrip('/')}"


def credentials_skip_reason(api: Api, environ: Mapping[str, str]) -> str | None:
    """Plan time, no network, no Google import: can this API's checks authenticate at all?

    ADC's last resort, the metadata server, is only trusted where the platform says it is there
    (Cloud Run services and jobs set K_SERVICE / CLOUD_RUN_JOB; GCE_METADATA_HOST names it
    elsewhere): probing 169.254.169.254 from a laptop costs seconds. On a VM or in Cloud Build,
    set GOOGLE_APPLICATION_CREDENTIALS or GCE_METADATA_HOST=metadata.google.internal.
    """
    if emulator_endpoint(api, environ):
        return None
    missing = _adc_missing(environ)
    if missing != HOW_TO_AUTHENTICATE:
        return missing  # None (ADC found), or a named key file that does not exist
    if gcloud_login(environ) is not None:
        return None
    return missing + f" (or {EMULATOR_VARIABLES[api]} for an emulator)"


def _adc_missing(environ: Mapping[str, str]) -> str | None:
    """Why Application Default Credentials cannot be found, or None when they can."""
    key_file = environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if key_file:
        if Path(key_file).is_file():
            return None
        return f"GOOGLE_APPLICATION_CREDENTIALS names {key_file}, which does not exist"
    config_dir = environ.get("CLOUDSDK_CONFIG") or str(
        Path(environ.get("HOME", "~")).expanduser() / ".config" / "gcloud"
    )
    if (Path(config_dir) / "application_default_credentials.json").is_file():
        return None
    if any(environ.get(name) for name in ("K_SERVICE", "CLOUD_RUN_JOB", "GCE_METADATA_HOST")):
        return None
    return HOW_TO_AUTHENTICATE


@dataclass(frozen=True)
class Endpoint:
    """Where one Google API is called and with which credentials."""

    api: Api
    url: str | None  # None: Google's production endpoint
    anonymous: bool
    # With no Application Default Credentials: gcloud's login (`GcloudLogin`), else None.
    gcloud: GcloudLogin | None = None

    @property
    def where(self) -> str:
        return self.url or f"the {self.api} API"


def endpoint(api: Api, environ: Mapping[str, str]) -> Endpoint:
    url = emulator_endpoint(api, environ)
    if url is not None:
        return Endpoint(api=api, url=url, anonymous=True)
    override = environ.get(ENDPOINT_OVERRIDE_VARIABLES[api], "").strip().rstrip("/") or None
    login = gcloud_login(environ) if _adc_missing(environ) == HOW_TO_AUTHENTICATE else None
    return Endpoint(api=api, url=override, anonymous=False, gcloud=login)


@dataclass(frozen=True)
class GcloudLogin:
    """gcloud's login, the credentials used when there are no Application Default ones."""

    program: str  # gcloud's path
    account: str
    # The run's environment, for the subprocess; never shown (it may hold tokens).
    environ: tuple[tuple[str, str], ...] = field(repr=False)

    @property
    def describe(self) -> str:
        return f"gcloud auth print-access-token as {self.account}"


def gcloud_login(environ: Mapping[str, str]) -> GcloudLogin | None:
    """gcloud on the PATH with an account to act as (``CLOUDSDK_CORE_ACCOUNT`` or the active
    configuration's ``[core] account``), from the file system alone: no network, no subprocess."""
    program = shutil.which("gcloud", path=environ.get("PATH", os.defpath))
    if program is None:
        return None
    account = environ.get("CLOUDSDK_CORE_ACCOUNT", "").strip() or _configured_account(environ)
    if not account:
        return None
    return GcloudLogin(program, account, tuple(sorted(environ.items())))


def _configured_account(environ: Mapping[str, str]) -> str:
    config_dir = Path(
        environ.get("CLOUDSDK_CONFIG")
        or Path(environ.get("HOME", "~")).expanduser() / ".config" / "gcloud"
    )
    name = environ.get("CLOUDSDK_ACTIVE_CONFIG_NAME", "").strip()
    try:
        if not name:
            active = config_dir / "active_config"
            name = active.read_text(encoding="utf-8").strip() if active.is_file() else "default"
    except (OSError, UnicodeDecodeError):
        return ""
    configuration = config_dir / "configurations" / f"config_{name}"
    if not configuration.is_file():
        return ""  # what configparser reads from a missing file: no account
    # Only for a file to read: with its regexes it costs `plan` ~4 ms wherever gcloud is
    # installed but never configured (CI images).
    import configparser

    parser = configparser.ConfigParser()
    try:
        parser.read(configuration, encoding="utf-8")
    except (OSError, UnicodeDecodeError, configparser.Error):
        return ""
    return parser.get("core", "account", fallback="").strip()
