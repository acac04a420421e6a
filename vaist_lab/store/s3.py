"""Built plugins in an S3-compatible bucket: AWS S3, Cloudflare R2 and MinIO, through boto3 (signature v4).

Settings (`S3Settings.from_environment`, used when VAIST_ARTIFACT_STORE=s3):

| variable | meaning (default) |
|---|---|
| VAIST_S3_BUCKET | the bucket (required); vaist-lab owns it, or the part of it under the prefix |
| VAIST_S3_ENDPOINT_URL | R2 `https://<account id>.r2.cloudflarestorage.com`, MinIO `http://host:9000` (AWS S3) |
| VAIST_S3_REGION | `us-east-1`; R2 `auto` |
| VAIST_S3_ACCESS_KEY_ID, VAIST_S3_SECRET_ACCESS_KEY | (boto3's own search: AWS_* variables, ~/.aws, an instance role) |
| VAIST_S3_ADDRESSING_STYLE | `auto`, `path` (MinIO), `virtual` (`auto`) |
| VAIST_S3_PREFIX | a folder for every key, e.g. `vaist/` (none) |

An object's key is the prefix and the artifact key. It carries x-amz-meta-project, -user and -platform (as
the caller gives them) and x-amz-meta-sha256, the whole file's SHA-256, checked again on every read; the
bucket checks the upload itself against a SHA-256 checksum (of the object, or of each part when the file is
above `multipart_threshold` and goes up in parts, several at once, through boto3's managed transfer). A put
is atomic: until the new object is complete the old one stays, and a failed put leaves it.

Download links are presigned GET URLs (SigV4 query authentication) that make a browser save the file under
its name (Content-Disposition: attachment); the bucket refuses them once expired or altered. `verify_link`
makes the same test in process (the signature recomputed with this storage's credentials, then the expiry)
before an in-process download fetches the object through boto3.

Every fault is one StoreError line naming it: the bucket missing, credentials unknown or wrong, a refused
write (AccessDenied), the endpoint unreachable (after `max_attempts` tries, botocore's standard retries), an
object missing (ArtifactNotFound), a link expired or tampered with (InvalidDownloadLink).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import mimetypes
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit, urlunsplit

import boto3
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from vaist_lab.store.artifacts import (
    KEY_PATTERN,
    LINK_FORGED,
    LINK_INCOMPLETE,
    ArtifactStorage,
    DownloadLink,
    StoredArtifact,
    StoredObject,
    check_key,
    link_expired,
)
from vaist_lab.store.errors import ArtifactNotFound, InvalidDownloadLink, StoreError
from vaist_lab.store.secrets import mask

MIB = 1 << 20
MAX_LINK_LIFETIME = timedelta(days=7)  # the longest a SigV4 presigned URL may last
ADDRESSING_STYLES = ("auto", "path", "virtual")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_METADATA_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
_NO_CREDENTIALS = "no credentials for the artifact bucket: set VAIST_S3_ACCESS_KEY_ID and VAIST_S3_SECRET_ACCESS_KEY"


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    endpoint_url: str | None = None  # None: AWS S3
    region: str = "us-east-1"
    access_key_id: str | None = None  # None (with the secret): boto3's own search for credentials
    secret_access_key: str | None = field(default=None, repr=False)
    addressing_style: str = "auto"
    prefix: str = ""
    max_attempts: int = 3  # tries of each request, the first one included
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    multipart_threshold: int = 16 * MIB  # larger files go up in parts
    multipart_chunksize: int = 16 * MIB
    page_size: int = 1000  # keys per listing request

    def __post_init__(self) -> None:
        if not _BUCKET_NAME.match(self.bucket):
            raise StoreError(
                f"VAIST_S3_BUCKET {self.bucket!r} is not a bucket name (3 to 63 lowercase letters, digits, dots "
                "and hyphens)"
            )
        if self.endpoint_url is not None and urlsplit(self.endpoint_url).scheme not in ("http", "https"):
            raise StoreError(f"VAIST_S3_ENDPOINT_URL {self.endpoint_url!r} is not an http(s) URL")
        if self.addressing_style not in ADDRESSING_STYLES:
            raise StoreError(
                f"VAIST_S3_ADDRESSING_STYLE must be one of {', '.join(ADDRESSING_STYLES)}, "
                f"not {self.addressing_style!r}"
            )
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise StoreError("VAIST_S3_ACCESS_KEY_ID and VAIST_S3_SECRET_ACCESS_KEY go together: set both or neither")
        if self.prefix and not (self.prefix.endswith("/") and KEY_PATTERN.match(self.prefix[:-1])):
            raise StoreError(f"VAIST_S3_PREFIX {self.prefix!r} is not a folder like vaist/ or builds/vaist/")
        if min(self.multipart_threshold, self.multipart_chunksize) < 5 * MIB:
            raise StoreError("S3 multipart uploads need parts of 5 MiB at least")
        if self.max_attempts < 1 or self.page_size < 1:
            raise StoreError("max_attempts and page_size are 1 at least")

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> S3Settings:
        """The settings the VAIST_S3_* variables give (see the module docstring)."""

        def value(name: str) -> str | None:
            return env.get(f"VAIST_S3_{name}", "").strip() or None

        bucket = value("BUCKET")
        if bucket is None:
            raise StoreError("VAIST_ARTIFACT_STORE=s3 needs VAIST_S3_BUCKET, the name of the bucket")
        prefix = value("PREFIX") or ""
        return cls(
            bucket=bucket,
            endpoint_url=value("ENDPOINT_URL"),
            region=value("REGION") or "us-east-1",
            access_key_id=value("ACCESS_KEY_ID"),
            secret_access_key=value("SECRET_ACCESS_KEY"),
            addressing_style=(value("ADDRESSING_STYLE") or "auto").lower(),
            prefix=prefix.strip("/") + "/" if prefix.strip("/") else "",
        )


class S3ArtifactStorage(ArtifactStorage):
    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self._where = settings.endpoint_url or "AWS S3"
        self._session = boto3.session.Session(
            aws_access_key_id=settings.access_key_id,
            aws_secret_access_key=settings.secret_access_key,
            region_name=settings.region,
        )
        self.client = self._session.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": settings.addressing_style},
                retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
                connect_timeout=settings.connect_timeout,
                read_timeout=settings.read_timeout,
            ),
        )
        self._credentials = self._session.get_credentials()  # what the client signs with (found as it was made)
        self._transfer = TransferConfig(
            multipart_threshold=settings.multipart_threshold, multipart_chunksize=settings.multipart_chunksize
        )

    def object_name(self, key: str) -> str:
        """The object's key in the bucket: the prefix and the artifact key."""
        check_key(key)
        return self.settings.prefix + key

    def put(self, key: str, source: Path, metadata: Mapping[str, str] | None = None) -> StoredArtifact:
        name = self.object_name(key)
        digest, size = _sha256(source)
        extra = {
            "Metadata": {**_checked(metadata or {}), "sha256": digest},
            "ContentType": mimetypes.guess_type(source.name)[0] or "application/octet-stream",
            "ChecksumAlgorithm": "SHA256",
        }
        with self._request("write", key), create_transfer_manager(self.client, self._transfer) as transfer:
            transfer.upload(str(source), self.bucket, name, extra_args=extra).result()
        return StoredArtifact(key, size, digest)

    def read(self, key: str) -> bytes:
        with self._request("read", key):
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_name(key))
            data = response["Body"].read()
        expected = response["Metadata"].get("sha256")
        if expected is not None and hashlib.sha256(data).hexdigest() != expected:
            raise StoreError(
                f"the object {key} in the bucket {self.bucket!r} is damaged: its SHA-256 is not the one stored with it"
            )
        return data

    def delete(self, key: str) -> bool:
        if self._head(key) is None:
            return False
        with self._request("deletion", key):
            self.client.delete_object(Bucket=self.bucket, Key=self.object_name(key))
        return True

    def objects(self, prefix: str = "") -> Iterator[StoredObject]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=self.settings.prefix + prefix,
            PaginationConfig={"PageSize": self.settings.page_size},
        )
        with self._request("listing"):
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"].removeprefix(self.settings.prefix)
                    if KEY_PATTERN.match(key) and ".." not in key:  # another program's objects are not ours
                        yield StoredObject(key, item["Size"], item["LastModified"].astimezone(UTC))

    def download_link(self, key: str, filename: str, expires_at: datetime) -> DownloadLink:
        signed_at = datetime.now(UTC)
        lifetime = math.ceil((expires_at - signed_at).total_seconds())
        if not 1 <= lifetime <= MAX_LINK_LIFETIME.total_seconds():
            raise StoreError(
                f"a presigned link lasts 1 second to 7 days, not {timedelta(seconds=lifetime)}: "
                "check VAIST_DOWNLOAD_LINK_TTL"
            )
        head = self._head(key)
        if head is None:
            raise self._missing(key)
        with self._request("link", key):
            url = self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": self.object_name(key),
                    "ResponseContentDisposition": attachment(filename),
                },
                ExpiresIn=lifetime,
            )
        return DownloadLink(url, filename, head["ContentLength"], _expiry(dict(parse_qsl(urlsplit(url).query))))

    def verify_link(self, url: str, now: datetime) -> str:
        """The key a presigned link of this storage points at, if the bucket would honour it at `now`: its
        SigV4 signature is the one this storage's credentials give, and it has not expired."""
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        fields = dict(query)
        try:
            expires_at = _expiry(fields)
            signature = fields["X-Amz-Signature"]
        except (KeyError, ValueError):
            raise InvalidDownloadLink(LINK_INCOMPLETE) from None
        unsigned = [(name, value) for name, value in query if name != "X-Amz-Signature"]
        if not hmac.compare_digest(signature, self._signature(parts, unsigned, fields["X-Amz-Date"])):
            raise InvalidDownloadLink(LINK_FORGED)
        if now > expires_at:
            raise link_expired(expires_at)
        path = unquote(parts.path)
        path_style = not parts.netloc.startswith(f"{self.bucket}.") and path.startswith(f"/{self.bucket}/")
        name = path.removeprefix(f"/{self.bucket}/" if path_style else "/")
        if not name.startswith(self.settings.prefix):
            raise InvalidDownloadLink("the download link is not for an artifact of this storage")
        return name.removeprefix(self.settings.prefix)

    def _signature(self, parts: SplitResult, query: list[tuple[str, str]], amz_date: str) -> str:
        """The SigV4 query signature of a GET of this URL at `amz_date` (what the bucket compares), from
        the canonical request as botocore forms it when it presigns."""
        if self._credentials is None:
            raise StoreError(_NO_CREDENTIALS)
        credentials = self._credentials.get_frozen_credentials()  # refreshed first if they are temporary
        request = AWSRequest(method="GET", url=urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")))
        request.params = query
        request.context["timestamp"] = amz_date
        signer = S3SigV4QueryAuth(credentials, "s3", self.client.meta.region_name)
        return signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)

    def _head(self, key: str) -> dict[str, Any] | None:
        """The object's HEAD response; None when there is no such object."""
        try:
            with self._request("read", key):
                return self.client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except ArtifactNotFound:
            return None

    def _missing(self, key: str) -> StoreError:
        """Why `key` is not there: the bucket missing (a HEAD's 404 does not say which), or the object."""
        try:
            with self._request("read"):
                self.client.head_bucket(Bucket=self.bucket)
        except ArtifactNotFound:
            return self._no_bucket()
        return ArtifactNotFound(f"no artifact {key} in the bucket {self.bucket!r}")

    def _no_bucket(self) -> StoreError:
        return StoreError(
            f"the bucket {self.bucket!r} does not exist at {self._where}: create it, or set VAIST_S3_BUCKET to one "
            "that does"
        )

    @contextmanager
    def _request(self, doing: str, key: str | None = None) -> Iterator[None]:
        """Turn boto3's failures of the `doing` (write, read, deletion, listing, link) into one StoreError line."""
        try:
            yield
        except (BotoCoreError, ClientError) as error:
            raise self._failure(error, doing, key) from error

    def _failure(self, error: BotoCoreError | ClientError, doing: str, key: str | None) -> StoreError:
        of = f"the {doing} of {key}" if key else f"the {doing}"
        if isinstance(error, NoCredentialsError):
            return StoreError(_NO_CREDENTIALS)
        if isinstance(error, _UNREACHABLE):
            return StoreError(
                f"cannot reach the artifact storage at {self._where} for {of} "
                f"(tried {self.settings.max_attempts} times): {_one_line(str(error))}"
            )
        if not isinstance(error, ClientError):
            return StoreError(f"the bucket {self.bucket!r} failed {of}: {_one_line(str(error))}")
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        message = _one_line(str(details.get("Message", "")))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket":
            return self._no_bucket()
        if code == "InvalidAccessKeyId":
            key_id = mask(self.settings.access_key_id) if self.settings.access_key_id else "that boto3 found"
            return StoreError(f"{self._where} does not know the access key id {key_id}: check VAIST_S3_ACCESS_KEY_ID")
        if code == "SignatureDoesNotMatch":
            return StoreError(
                f"{self._where} refused the secret access key (SignatureDoesNotMatch): check VAIST_S3_SECRET_ACCESS_KEY"
            )
        if code in ("NoSuchKey", "404") or status == 404:
            return ArtifactNotFound(f"no artifact {key} in the bucket {self.bucket!r}")
        if code in ("AccessDenied", "403") or status == 403:
            reason = f" ({message})" if message and message != "Forbidden" else ""
            return StoreError(
                f"the bucket {self.bucket!r} refused {of}: AccessDenied{reason}: the credentials or the bucket's "
                "policy do not allow it"
            )
        return StoreError(f"the bucket {self.bucket!r} failed {of}: {code or status}: {message}")


def attachment(filename: str) -> str:
    """A Content-Disposition that saves the download as `filename` (RFC 6266: an ASCII name, and the name
    in UTF-8 as filename* when it is not ASCII)."""
    plain = "".join(char if char.isascii() and char.isprintable() and char not in '"\\' else "_" for char in filename)
    header = f'attachment; filename="{plain}"'
    return header if plain == filename else f"{header}; filename*=UTF-8''{quote(filename, safe='')}"


def _expiry(query: Mapping[str, str]) -> datetime:
    """When a presigned link stops working: its signing time (X-Amz-Date, in whole seconds) and lifetime."""
    signed_at = datetime.strptime(query["X-Amz-Date"], _AMZ_DATE).replace(tzinfo=UTC)
    return signed_at + timedelta(seconds=int(query["X-Amz-Expires"]))


def _sha256(source: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(source, "rb") as stream:
        while chunk := stream.read(MIB):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _checked(metadata: Mapping[str, str]) -> dict[str, str]:
    """Metadata as x-amz-meta-* headers can carry it: lowercase names, printable ASCII values."""
    for name, value in metadata.items():
        if name == "sha256" or not _METADATA_NAME.match(name) or not (value.isascii() and value.isprintable()):
            raise StoreError(f"object metadata {name}={value!r}: names are lowercase words, values printable ASCII")
    return dict(metadata)


def _one_line(text: str) -> str:
    return " ".join(text.split())


__all__ = ["MAX_LINK_LIFETIME", "S3ArtifactStorage", "S3Settings", "attachment"]
