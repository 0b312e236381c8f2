"""HTTP signatures for the interoperability peer, with code that is not Fedify's.

* draft-cavage-http-signatures-12 (what Mastodon, Misskey, Pleroma and Lemmy send): signed and
  verified by bovine (`bovine.crypto`), which also checks the `Digest` header against the body, the
  `Date` window (5 minutes) and that `(request-target)`, `date` and, for POST, a digest are covered.
* RFC 9421 HTTP Message Signatures: signed and verified by `http-message-signatures` (bovine's own
  RFC 9421 verifier has bugs), with the body checked against a signed `Content-Digest` (RFC 9530).

Keys of remote actors are fetched from their key id (the actor document, fragment removed), and a key
is accepted only from a `publicKey` whose `id` is the key id and whose `owner` is the document's `id`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import aiohttp
import http_sf
from bovine.crypto.digest import validate_digest
from bovine.crypto.helper import content_digest_sha256
from bovine.crypto.http_signature import build_signature
from bovine.crypto.signature import Signature
from bovine.crypto.signature_checker import SignatureChecker
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from bovine.utils import get_gmt_now
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)

ACTIVITY_JSON = "application/activity+json"


class KeyFetchError(Exception):
    """The key id could not be dereferenced to a usable public key."""


class KeyDirectory:
    """Public keys of remote actors by key id, fetched once and kept in memory."""

    def __init__(self, session: aiohttp.ClientSession):
        self.session = session
        self.keys: dict[str, CryptographicIdentifier] = {}
        self.fetches: list[dict] = []

    async def fetch(self, key_id: str) -> CryptographicIdentifier:
        if key_id in self.keys:
            return self.keys[key_id]
        url = key_id.split("#", 1)[0]
        try:
            async with self.session.get(url, headers={"accept": ACTIVITY_JSON}) as response:
                status = response.status
                text = await response.text()
        except aiohttp.ClientError as error:
            self.fetches.append({"keyId": key_id, "error": repr(error)})
            raise KeyFetchError(f"GET {url}: {error!r}") from error
        self.fetches.append({"keyId": key_id, "status": status})
        if status != 200:
            raise KeyFetchError(f"GET {url} answered {status}")
        try:
            document = json.loads(text)
        except ValueError as error:
            raise KeyFetchError(f"GET {url}: not JSON") from error
        candidates = document.get("publicKey", [])
        if isinstance(candidates, dict):
            candidates = [candidates]
        for candidate in candidates:
            if isinstance(candidate, dict) and candidate.get("id") == key_id:
                if candidate.get("owner") != document.get("id"):
                    raise KeyFetchError(f"key {key_id} is owned by {candidate.get('owner')}, not {document.get('id')}")
                identifier = CryptographicIdentifier.from_public_key(candidate)
                self.keys[key_id] = identifier
                return identifier
        raise KeyFetchError(f"no publicKey with id {key_id} in {url}")


@dataclass
class Verification:
    """What the peer concluded about one request's signature."""

    scheme: str | None  # "draft-cavage" | "rfc9421" | None (unsigned)
    verified: bool
    key_id: str | None = None
    owner: str | None = None
    error: str | None = None
    covered: list[str] | None = None

    def as_json(self) -> dict:
        return asdict(self)


class _Message:
    """The request shape http-message-signatures resolves components from."""

    def __init__(self, method: str, url: str, headers):
        self.method = method.upper()
        self.url = url
        self.headers = headers


async def verify_request(method: str, url: str, headers, body: bytes | None, keys: KeyDirectory) -> Verification:
    """Verifies the request's signature: RFC 9421 when `Signature-Input` is present, else draft-cavage."""
    if "signature-input" in headers:
        return await _verify_rfc9421(method, url, headers, body, keys)
    if "signature" in headers:
        return await _verify_cavage(method, url, headers, body, keys)
    return Verification(scheme=None, verified=False, error="unsigned")


async def _verify_cavage(method, url, headers, body, keys) -> Verification:
    try:
        parsed = Signature.from_signature_header(headers["signature"])
    except Exception as error:  # bovine raises plain exceptions on malformed headers
        return Verification("draft-cavage", False, error=f"malformed Signature header: {error!r}")
    result = Verification("draft-cavage", False, key_id=parsed.key_id, covered=list(parsed.fields))
    if method.upper() == "POST" and not validate_digest(headers, body or b""):
        result.error = "digest does not match the body"
        return result
    failure: list[str] = []

    async def retrieve(key_id: str):
        try:
            return await keys.fetch(key_id)
        except KeyFetchError as error:
            failure.append(str(error))
            return None

    async def read_body():
        return body or b""

    owner = await SignatureChecker(retrieve).validate_signature(method, url, headers, read_body)
    if owner is None:
        result.error = failure[0] if failure else "signature does not verify (bovine)"
        return result
    result.verified = True
    result.owner = owner
    return result


async def _verify_rfc9421(method, url, headers, body, keys) -> Verification:
    result = Verification("rfc9421", False)
    try:
        inputs = http_sf.parse(headers["signature-input"].encode(), tltype="dictionary")
    except Exception as error:
        result.error = f"malformed Signature-Input: {error!r}"
        return result
    if len(inputs) != 1:
        result.error = f"expected one signature, got labels {list(inputs)}"
        return result
    members, params = next(iter(inputs.values()))
    result.key_id = params.get("keyid")
    result.covered = [member for member, _ in members]
    if not isinstance(result.key_id, str):
        result.error = "no keyid parameter"
        return result
    try:
        identifier = await keys.fetch(result.key_id)
    except KeyFetchError as error:
        result.error = str(error)
        return result
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(public_keys={result.key_id: identifier.public_key}, private_keys={}),
    )
    required = ["@method", "@target-uri"] if method.upper() != "POST" else ["@method", "@target-uri", "content-digest"]
    try:
        verifier.verify(_Message(method, url, headers), body=body if body else None, require_components=required)
    except (InvalidSignature, HTTPMessageSignaturesException) as error:
        result.error = f"http-message-signatures: {str(error) or 'the signature does not match the signature base'}"
        return result
    result.verified = True
    result.owner = identifier.controller
    return result


def sign_cavage(method: str, url: str, body: bytes | None, key_id: str, private_key, content_type: str) -> dict:
    """Headers of a draft-cavage signed request (rsa-sha256), as Mastodon signs: (request-target) host
    date, plus digest and content-type for a body. Built and signed by bovine."""
    split = urlsplit(url)
    target = split.path + (f"?{split.query}" if split.query else "")
    helper = build_signature(split.netloc, method.lower(), target).with_field("date", get_gmt_now())
    if body is not None:
        helper.with_field("digest", content_digest_sha256(body, prefix="SHA-256")).with_field(
            "content-type", content_type
        )
    else:
        helper.with_field("accept", content_type)
    signature = helper.sign_for_http_draft(CryptographicSecret(key_id=key_id, private_key=private_key))
    return {**helper.headers, "signature": signature}


def sign_rfc9421(method: str, url: str, body: bytes | None, key_id: str, private_key, content_type: str) -> dict:
    """Headers of an RFC 9421 signed request (rsa-v1_5-sha256, label sig1) covering @method,
    @target-uri, @authority, date and, for a body, content-digest. Signed by http-message-signatures."""
    headers = {"host": urlsplit(url).netloc, "date": get_gmt_now()}
    headers["content-type" if body is not None else "accept"] = content_type
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.RSA_V1_5_SHA256,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: private_key}),
    )
    signer.sign(
        _Message(method, url, headers),
        key_id=key_id,
        label="sig1",
        covered_component_ids=("@method", "@target-uri", "@authority", "date"),
        body=body,
    )
    return headers
