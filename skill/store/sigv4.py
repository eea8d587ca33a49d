"""AWS Signature Version 4 for one HTTP request, with hmac and hashlib only (the DynamoDB store's signer).

The steps AWS documents (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html): a canonical request,
the string to sign, a signing key derived from the secret by date, region and service, and the Authorization header.
Requests here have no query string (DynamoDB's JSON API posts everything in the body). Checked against botocore's
SigV4Auth on the same inputs (tests/skill/store/test_sigv4.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
# Headers a proxy or the HTTP library may change on the way: never signed (botocore's list).
UNSIGNED_HEADERS = frozenset({"expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str = ""
    token: str | None = None  # the session token of temporary credentials (Lambda's always are)

    def __repr__(self) -> str:  # never the secret or the token in a log line or a traceback
        return f"Credentials(access_key={self.access_key!r})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Credentials | None:
        """The credentials Lambda puts in every function's environment, read as botocore's environment provider
        reads them; None when the key or the secret is missing."""
        access_key, secret_key = environ.get("AWS_ACCESS_KEY_ID", ""), environ.get("AWS_SECRET_ACCESS_KEY", "")
        if not access_key or not secret_key:
            return None
        token = environ.get("AWS_SESSION_TOKEN") or environ.get("AWS_SECURITY_TOKEN") or None
        return cls(access_key, secret_key, token)


def host_header(url: str) -> str:
    """The Host of a request to `url`, as it is sent and signed: without the scheme's default port (as botocore)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError("no host in the URL")
    if parts.port is not None and parts.port == _DEFAULT_PORTS.get(parts.scheme):
        return parts.hostname
    return parts.netloc.rsplit("@", 1)[-1]


def sign(method: str, url: str, headers: Mapping[str, str], body: bytes, credentials: Credentials, region: str,
         service: str, now: datetime | None = None) -> dict[str, str]:
    """`headers` plus Host (unless given), X-Amz-Date, X-Amz-Security-Token (with a session token) and the
    Authorization that signs them all (but UNSIGNED_HEADERS) and `body`. `now` (UTC) defaults to the clock."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    out = {name: value for name, value in headers.items()
           if name.lower() not in ("x-amz-date", "x-amz-security-token", "authorization")}
    if not any(name.lower() == "host" for name in out):
        out["Host"] = host_header(url)
    out["X-Amz-Date"] = amz_date
    if credentials.token:
        out["X-Amz-Security-Token"] = credentials.token
    signed, canonical_headers = _canonical_headers(out)
    path = urlsplit(url).path or "/"
    canonical_request = "\n".join((method.upper(), quote(path, safe="/~"), "", canonical_headers, signed,
                                   hashlib.sha256(body).hexdigest()))
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join((ALGORITHM, amz_date, scope,
                                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()))
    key = signing_key(credentials.secret_key, amz_date[:8], region, service)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    out["Authorization"] = (f"{ALGORITHM} Credential={credentials.access_key}/{scope}, SignedHeaders={signed}, "
                            f"Signature={signature}")
    return out


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret_key).encode("utf-8")
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """(signed header names, canonical header lines): names lowercased and sorted, values trimmed with runs of
    spaces made one, a repeated name's values joined by commas."""
    values: dict[str, list[str]] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered not in UNSIGNED_HEADERS:
            values.setdefault(lowered, []).append(" ".join(str(value).split()))
    names = sorted(values)
    return ";".join(names), "".join(f"{name}:{','.join(values[name])}\n" for name in names)
