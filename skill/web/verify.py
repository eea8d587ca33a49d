"""Alexa request verification, as Amazon documents it for skills hosted as web services.

Checks, cheapest first (a forged request must not cost us a network fetch): the request is fresh (150 s) and
addressed to one of our skill ids (`verify_envelope`); the SignatureCertChainUrl is Amazon's and well formed; it has
not failed recently (negative cache); the chain it names, fetched with a total deadline, no redirects and a bound on
concurrent fetches, leads to a trusted root, is in date and names echo-api.amazon.com; Signature-256 is a valid
SHA-256/RSA signature of the raw body by that certificate. Every failure raises VerificationFailed with a one-line
reason of our own wording (network errors go to the log, not to the unauthenticated caller); the web layer turns it
into a 400.

Built on `cryptography` (its X.509 path validation), because flask-ask-sdk's verifier does not import on current
OpenSSL builds.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import logging
import posixpath
import re
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import verification

from ..skill_id import VerificationFailed, check_skill_id

CERT_URL_SCHEME = "https"
CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PORT = 443
CERT_URL_PATH_PREFIX = "/echo.api/"
SIGNING_NAME = "echo-api.amazon.com"
MAX_REQUEST_AGE = timedelta(seconds=150)
FETCH_TIMEOUT_S = 2.0  # the whole fetch: connect, request, every read
MAX_CHAIN_BYTES = 64 * 1024
MAX_CHAIN_URL_CHARS = 512
CHAIN_CACHE_SIZE = 16
# A URL whose chain failed is refused without a fetch for this long (short: a network blip on the real URL must
# not lock Alexa out for long); bounded, oldest forgotten first.
FAILED_URL_TTL_S = 60.0
FAILED_URL_CACHE_SIZE = 1024
# Fetches in flight at once, per process; a request that finds no free slot soon is refused, not queued.
MAX_CONCURRENT_FETCHES = 4
FETCH_SLOT_WAIT_S = 0.5
HEADER_CHAIN_URL = "SignatureCertChainUrl"
HEADER_SIGNATURE = "Signature-256"

class Headers(Protocol):
    """What we need of a request's headers (a dict, werkzeug's Headers, an http.client message)."""

    def get(self, key: str, /) -> str | None: ...


Fetcher = Callable[[str], bytes]
Clock = Callable[[], datetime]
log = logging.getLogger(__name__)
# Whitespace and control characters: http.client refuses them (InvalidURL), and no real chain URL has them.
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f]")


def check_chain_url(url: str) -> str:
    """Amazon's rules for SignatureCertChainUrl; returns the URL if it passes."""
    if len(url) > MAX_CHAIN_URL_CHARS or _BAD_URL_CHARS.search(url) or not url.isascii():
        raise VerificationFailed("certificate chain URL is malformed")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise VerificationFailed("certificate chain URL is malformed") from None
    if parts.scheme.lower() != CERT_URL_SCHEME:
        raise VerificationFailed("certificate chain URL must use https")
    if (parts.hostname or "").lower() != CERT_URL_HOST:
        raise VerificationFailed("certificate chain URL host must be s3.amazonaws.com")
    if port is not None and port != CERT_URL_PORT:
        raise VerificationFailed("certificate chain URL port must be 443")
    # Normalize before comparing, so /echo.api/../x cannot pass; the prefix itself is case-sensitive.
    path = posixpath.normpath(unquote(parts.path)) if parts.path else ""
    if not (path + "/").startswith(CERT_URL_PATH_PREFIX) or path + "/" == CERT_URL_PATH_PREFIX:
        raise VerificationFailed("certificate chain URL path must start with /echo.api/")
    return url


def fetch_chain(url: str, deadline_s: float = FETCH_TIMEOUT_S) -> bytes:
    """Download a PEM chain: one GET, no redirects (http.client never follows them), a size cap and a deadline for
    the whole exchange, so a slow sender cannot hold us longer than `deadline_s`. Raises VerificationFailed with a
    fixed reason; the cause goes to the log only."""
    deadline = time.monotonic() + deadline_s
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = None
    try:
        connection = connection_class(parts.hostname or "", parts.port, timeout=deadline_s)
        connection.request("GET", parts.path or "/", headers={"User-Agent": "hamstring-cramp-helper"})
        _time_left(connection, deadline)
        response = connection.getresponse()
        if response.status != 200:
            raise _FetchFailed(f"status {response.status}")
        data = b""
        while len(data) <= MAX_CHAIN_BYTES:
            _time_left(connection, deadline)
            chunk = response.read1(16 * 1024)
            if not chunk:
                break
            data += chunk
    except (OSError, http.client.HTTPException, ValueError, _FetchFailed) as error:
        # The detail (DNS, TLS, refused, status) helps an operator, and would help an attacker map our network.
        log.warning("certificate chain fetch failed: %s", type(error).__name__ if not isinstance(error, _FetchFailed)
                    else error)
        raise VerificationFailed("certificate chain could not be fetched") from None
    finally:
        if connection is not None:
            connection.close()
    if len(data) > MAX_CHAIN_BYTES:
        raise VerificationFailed("certificate chain is too large")
    return data


class _FetchFailed(Exception):
    pass


def _time_left(connection: http.client.HTTPConnection, deadline: float) -> None:
    """Each read may wait only for what is left of the total deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise _FetchFailed("deadline passed")
    if connection.sock is not None:
        connection.sock.settimeout(left)


def load_roots(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


def default_roots() -> list[x509.Certificate]:
    """Mozilla's roots (certifi), minus the few that cryptography already warns it will refuse to load (a serial
    number that is not positive, against RFC 5280). Skipping them now is what a future cryptography will do anyway,
    and keeps start-up free of the warning; none of them anchors Amazon's chain (Amazon Root CA 1 is in the store
    itself)."""
    import certifi

    with open(certifi.where(), "rb") as handle:
        pem = handle.read()
    roots, skipped = [], 0
    for block in _PEM_CERT.findall(pem):
        with warnings.catch_warnings():
            warnings.simplefilter("error", CryptographyDeprecationWarning)
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except (CryptographyDeprecationWarning, ValueError):
                skipped += 1
    log.debug("loaded %d roots from certifi, skipped %d that do not follow RFC 5280", len(roots), skipped)
    return roots


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class _Trusted:
    leaf: x509.Certificate
    not_before: datetime
    not_after: datetime


class RequestVerifier:
    """Thread-safe; one per process. The chain cache is bounded and entries live until the certificate expires."""

    def __init__(
        self,
        skill_ids: Iterable[str],
        roots: list[x509.Certificate] | None = None,
        fetch: Fetcher = fetch_chain,
        clock: Clock = _utc_now,
        cache_size: int = CHAIN_CACHE_SIZE,
    ) -> None:
        self.skill_ids = frozenset(s.strip() for s in skill_ids if s.strip())
        if not self.skill_ids:
            raise ValueError("at least one Alexa skill id is needed")
        self._store = verification.Store(roots if roots is not None else default_roots())
        self._fetch = fetch
        self._clock = clock
        self._cache: OrderedDict[str, _Trusted] = OrderedDict()
        self._cache_size = cache_size
        self._failed: OrderedDict[str, tuple[float, str]] = OrderedDict()  # url -> (until, reason)
        self._fetch_slots = threading.BoundedSemaphore(MAX_CONCURRENT_FETCHES)
        self._lock = threading.Lock()

    # -- before the body is parsed --------------------------------------------------------------------------------
    def verify_signature(self, headers: Headers, body: bytes) -> None:
        url = headers.get(HEADER_CHAIN_URL)
        signature_b64 = headers.get(HEADER_SIGNATURE)
        if not url:
            raise VerificationFailed(f"{HEADER_CHAIN_URL} header missing")
        if not signature_b64:
            raise VerificationFailed(f"{HEADER_SIGNATURE} header missing")
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except (binascii.Error, ValueError):
            raise VerificationFailed(f"{HEADER_SIGNATURE} is not base64") from None
        leaf = self._trusted_leaf(url)
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise VerificationFailed("signing certificate does not hold an RSA key")
        try:
            key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise VerificationFailed("signature does not match the request body") from None

    def _trusted_leaf(self, url: str) -> x509.Certificate:
        """Only URLs that passed every check are cached, so a hit skips the URL rules too."""
        now = self._clock()
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None:
                self._cache.move_to_end(url)
        if cached is not None and cached.not_before <= now <= cached.not_after:
            return cached.leaf
        check_chain_url(url)
        with self._lock:
            failed = self._failed.get(url)
        if failed is not None and failed[0] > time.monotonic():
            raise VerificationFailed(failed[1])
        try:
            trusted = self._validate(self._fetch_bounded(url), now)
        except VerificationFailed as error:
            with self._lock:
                self._failed[url] = (time.monotonic() + FAILED_URL_TTL_S, str(error))
                self._failed.move_to_end(url)
                while len(self._failed) > FAILED_URL_CACHE_SIZE:
                    self._failed.popitem(last=False)
            raise
        with self._lock:
            self._cache[url] = trusted
            self._cache.move_to_end(url)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return trusted.leaf

    def _fetch_bounded(self, url: str) -> bytes:
        if not self._fetch_slots.acquire(timeout=FETCH_SLOT_WAIT_S):
            raise VerificationFailed("too many certificate chain fetches in progress; try again")
        try:
            return self._fetch(url)
        finally:
            self._fetch_slots.release()

    def _validate(self, pem: bytes, now: datetime) -> _Trusted:
        try:
            with warnings.catch_warnings():  # a non-RFC-5280 certificate is refused, as future cryptography will
                warnings.simplefilter("error", CryptographyDeprecationWarning)
                chain = x509.load_pem_x509_certificates(pem)
        except (ValueError, CryptographyDeprecationWarning):
            raise VerificationFailed("certificate chain is not valid PEM") from None
        leaf, intermediates = chain[0], chain[1:]
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise VerificationFailed("signing certificate is expired or not yet valid")
        try:
            names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            dns_names = names.get_values_for_type(x509.DNSName)
        except x509.ExtensionNotFound:
            dns_names = []
        if SIGNING_NAME not in dns_names:
            raise VerificationFailed(f"signing certificate is not issued to {SIGNING_NAME}")
        verifier = (
            verification.PolicyBuilder()
            .store(self._store)
            .time(now)
            .build_server_verifier(verification.DNSName(SIGNING_NAME))
        )
        try:
            verifier.verify(leaf, intermediates)
        except verification.VerificationError as error:
            raise VerificationFailed(f"certificate chain is not trusted: {str(error).splitlines()[0]}") from None
        return _Trusted(leaf, leaf.not_valid_before_utc, leaf.not_valid_after_utc)

    # -- after the body is parsed ---------------------------------------------------------------------------------
    def verify_envelope(self, envelope: dict) -> None:
        self.check_timestamp(envelope)
        check_skill_id(envelope, self.skill_ids)

    def check_timestamp(self, envelope: dict) -> None:
        raw = (envelope.get("request") or {}).get("timestamp")
        sent = parse_timestamp(raw)
        if sent is None:
            raise VerificationFailed("request timestamp missing or malformed")
        if abs(self._clock() - sent) > MAX_REQUEST_AGE:
            raise VerificationFailed("request timestamp is more than 150 seconds away")


def parse_timestamp(raw: object) -> datetime | None:
    """Alexa sends ISO 8601 (UTC); a few event types send epoch milliseconds."""
    try:
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            return datetime.fromtimestamp(raw / 1000, timezone.utc)
        if isinstance(raw, str):
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None
