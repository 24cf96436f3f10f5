"""Throwaway certificates and an HTTPS server, for tests of how probes treat TLS.

A probe must refuse an expired, self-signed or wrong-host certificate and accept one its
trust store vouches for; testing that needs real certificates and a real TLS server, not
mocks. Everything here is made fresh per test in a temporary directory:

    ca = make_ca(tmp_path)
    good = issue(ca, tmp_path)                              # for 127.0.0.1, signed by ca
    expired = issue(ca, tmp_path, expired=True)
    selfish = issue(ca, tmp_path, self_signed=True)        # signed by its own key
    elsewhere = issue(ca, tmp_path, san_dns=("other.example",), san_ip=())
    async with https_server(good) as url:                  # https://127.0.0.1:<port>
        ...  # trust ca.cert_path (``trust(ca)``) and GET f"{url}/healthz"

Keys are EC P-256: generating them is quick, and every TLS client accepts them.
"""

from __future__ import annotations

import ipaddress
import itertools
import ssl
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_serials = itertools.count(1)
# Backdating absorbs clock skew between the test and the TLS library.
_BACKDATE = timedelta(minutes=5)


@dataclass(frozen=True)
class CertFiles:
    """A PEM certificate and its unencrypted PEM private key, on disk."""

    cert_path: Path
    key_path: Path


@dataclass(frozen=True)
class CertificateAuthority:
    """A test CA: its files (``cert_path`` is the trust store to give a client) and its key."""

    cert_path: Path
    key_path: Path
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> CertFiles:
    directory.mkdir(parents=True, exist_ok=True)
    cert_path = directory / f"{stem}.crt"
    key_path = directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return CertFiles(cert_path, key_path)


def make_ca(directory: Path, *, name: str = "cutover-probe test CA") -> CertificateAuthority:
    """A fresh CA, valid from a few minutes ago for a year, as ``ca.crt``/``ca.key``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    files = _write(directory, "ca", cert, key)
    return CertificateAuthority(files.cert_path, files.key_path, cert, key)


def issue(
    ca: CertificateAuthority,
    directory: Path,
    *,
    san_dns: Iterable[str] = (),
    san_ip: Iterable[str] = ("127.0.0.1",),
    days_valid: int = 30,
    expired: bool = False,
    self_signed: bool = False,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    name: str | None = None,
) -> CertFiles:
    """A server certificate for these SANs, signed by ``ca`` (or by its own key).

    Valid from a few minutes ago for ``days_valid`` days; ``expired`` makes it a month old
    and a day past its end instead; ``not_before``/``not_after`` override either bound.
    Files are ``<name>.crt``/``<name>.key`` (``name`` defaults to ``server-<n>``).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    if expired:
        start, end = now - timedelta(days=30), now - timedelta(days=1)
    else:
        start, end = now - _BACKDATE, now + timedelta(days=days_valid)
    start = not_before or start
    end = not_after or end
    dns = list(san_dns)
    ips = list(san_ip)
    subject = _name(dns[0] if dns else ips[0] if ips else "cutover-probe test server")
    issuer_name = subject if self_signed else ca.certificate.subject
    signer = key if self_signed else ca.private_key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
            critical=False,
        )
    )
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(signer, hashes.SHA256())
    return _write(directory, name or f"server-{next(_serials)}", cert, key)


def trust(ca: CertificateAuthority) -> ssl.SSLContext:
    """A client context that trusts ``ca`` alone and checks hostnames (the default)."""
    return ssl.create_default_context(cafile=str(ca.cert_path))


def default_app() -> web.Application:
    """``/healthz`` and ``/readyz`` answering 200 JSON, like a healthy service."""

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": "tls-test"})

    async def readyz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    return app


@asynccontextmanager
async def https_server(
    cert: CertFiles, app: web.Application | None = None, *, url_host: str = "127.0.0.1"
) -> AsyncIterator[str]:
    """Serve ``app`` (default: ``default_app()``) over TLS on 127.0.0.1, port 0; yield its URL.

    ``url_host`` only changes the host written in the URL (e.g. "localhost"), not where the
    server listens.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert.cert_path, cert.key_path)
    runner = web.AppRunner(app or default_app(), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = runner.addresses[0][1]
        yield f"https://{url_host}:{port}"
    finally:
        await runner.cleanup()
