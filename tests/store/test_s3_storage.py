"""The S3 artifact storage against a real S3-compatible server (moto's server mode on loopback, through boto3
over HTTP): artifacts stored and fetched with their metadata and SHA-256, large files in parts, listings page
by page, presigned links that download with a plain GET and are refused once expired or altered, and each
fault as one clear line: a bucket that refuses the write (and keeps what it had), wrong credentials, a missing
bucket or object, an endpoint that does not answer (retried a bounded number of times).

Moto's server does not check presigned URLs (see s3_server.py): the links' expiry and signature are proved
through `verify_link`, which the test against AWS's published SigV4 example shows to check them as S3 does."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from s3_server import S3Server, free_port

from vaist_lab.store.artifacts import LocalArtifactStorage, artifact_key, artifact_storage
from vaist_lab.store.errors import ArtifactNotFound, InvalidDownloadLink, StoreError
from vaist_lab.store.s3 import MIB, S3ArtifactStorage, S3Settings, attachment

PLUGIN = b"PK\x03\x04 zipped plugin " * 500
METADATA = {"project": "5f0c9a52-1d1e-4a55-9a39-2b2b0c1f7e10", "user": "alice-id", "platform": "linux"}


@pytest.fixture
def plugin_zip(tmp_path: Path) -> Path:
    source = tmp_path / "TapeEcho.vst3.zip"
    source.write_bytes(PLUGIN)
    return source


@pytest.fixture
def key() -> str:
    return artifact_key(uuid.uuid4(), "linux", "TapeEcho.vst3.zip")


def deny_writes(server: S3Server, name: str) -> None:
    """A bucket policy that refuses every object write (moto enforces bucket policies)."""
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/*"}
    server.client().put_bucket_policy(
        Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )


def count_requests(storage: S3ArtifactStorage, operation: str) -> list[Any]:
    """Every HTTP attempt of `operation` the storage's client makes (retries included) appends to the list."""
    attempts: list[Any] = []
    storage.client.meta.events.register(f"before-send.s3.{operation}", lambda **event: attempts.append(event))
    return attempts


def test_an_artifact_is_stored_with_its_metadata_and_checksum(
    s3_storage: S3ArtifactStorage,
    s3_server: S3Server,
    bucket: str,
    key: str,
    plugin_zip: Path,
) -> None:
    stored = s3_storage.put(key, plugin_zip, METADATA)
    digest = hashlib.sha256(PLUGIN).digest()
    assert (stored.key, stored.size, stored.sha256) == (key, len(PLUGIN), digest.hex())
    head = s3_server.client().head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head["Metadata"] == {**METADATA, "sha256": digest.hex()}
    assert head["ChecksumSHA256"] == base64.b64encode(digest).decode(), "the bucket checked the upload's SHA-256"
    assert head["ContentType"] == "application/zip" and head["ContentLength"] == len(PLUGIN)
    assert s3_storage.read(key) == PLUGIN
    [listed] = s3_storage.objects()
    assert (listed.key, listed.size) == (key, len(PLUGIN))
    assert abs(listed.modified - datetime.now(UTC)) < timedelta(minutes=1)
    assert s3_storage.delete(key) and not s3_storage.delete(key)
    assert list(s3_storage.objects()) == []


def test_a_large_file_goes_up_in_parts(
    s3_storage: S3ArtifactStorage, s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    data = bytes(range(256)) * (6 * MIB // 256 + 1000)  # over the 5 MiB parts of the test settings
    source = tmp_path / "Big.vst3.zip"
    source.write_bytes(data)
    key = artifact_key(uuid.uuid4(), "macos", source.name)
    parts = count_requests(s3_storage, "UploadPart")
    stored = s3_storage.put(key, source, METADATA)
    assert len(parts) == 2, "two parts through the managed transfer"
    head = s3_server.client().head_object(Bucket=bucket, Key=key)
    assert head["ETag"].endswith('-2"'), "a multipart object"
    assert head["Metadata"]["sha256"] == stored.sha256 == hashlib.sha256(data).hexdigest()
    assert s3_storage.read(key) == data


def test_listing_goes_page_by_page_and_keeps_to_the_prefix(
    s3_server: S3Server,
    bucket: str,
    plugin_zip: Path,
) -> None:
    storage = S3ArtifactStorage(s3_server.settings(bucket, prefix="vaist/", page_size=2))
    project = uuid.uuid4()
    keys = sorted(artifact_key(project, platform, "TapeEcho.vst3.zip") for platform in ("linux", "macos", "windows"))
    other = [artifact_key(uuid.uuid4(), "linux", f"P{index}.zip") for index in range(2)]
    for key in keys + other:
        storage.put(key, plugin_zip)
    s3_server.client().put_object(Bucket=bucket, Key="someone-else/notes.txt", Body=b"not ours")
    pages = count_requests(storage, "ListObjectsV2")
    assert sorted(item.key for item in storage.objects()) == sorted(keys + other)
    assert len(pages) == 3, "five objects, two a page"
    assert [item.key for item in storage.objects(f"projects/{project}/")] == keys
    in_bucket = s3_server.client().list_objects_v2(Bucket=bucket)["Contents"]
    assert {item["Key"] for item in in_bucket} == {f"vaist/{key}" for key in keys + other} | {"someone-else/notes.txt"}


def test_a_link_downloads_the_file_with_a_plain_get(s3_storage: S3ArtifactStorage, key: str, plugin_zip: Path) -> None:
    s3_storage.put(key, plugin_zip)
    asked = datetime.now(UTC) + timedelta(minutes=10)
    link = s3_storage.download_link(key, "TapeEcho.vst3.zip", asked)
    assert (link.filename, link.size, link.path) == ("TapeEcho.vst3.zip", len(PLUGIN), None)
    assert abs(link.expires_at - asked) < timedelta(seconds=2) and "X-Amz-Expires=600" in link.url
    with urllib.request.urlopen(link.url, timeout=10) as response:
        assert response.read() == PLUGIN
        assert response.headers["Content-Disposition"] == 'attachment; filename="TapeEcho.vst3.zip"'
    assert s3_storage.verify_link(link.url, datetime.now(UTC)) == key


def test_a_link_expires(s3_storage: S3ArtifactStorage, key: str, plugin_zip: Path) -> None:
    s3_storage.put(key, plugin_zip)
    link = s3_storage.download_link(key, "TapeEcho.vst3.zip", datetime.now(UTC) + timedelta(seconds=30))
    assert s3_storage.verify_link(link.url, link.expires_at) == key
    with pytest.raises(InvalidDownloadLink, match=r"the download link expired at .* UTC: ask for a new one"):
        s3_storage.verify_link(link.url, link.expires_at + timedelta(seconds=1))
    with pytest.raises(StoreError, match="a presigned link lasts 1 second to 7 days"):
        s3_storage.download_link(key, "TapeEcho.vst3.zip", datetime.now(UTC) + timedelta(days=8))


def test_altered_links_are_refused(
    s3_server: S3Server,
    s3_storage: S3ArtifactStorage,
    key: str,
    plugin_zip: Path,
) -> None:
    s3_storage.put(key, plugin_zip)
    neighbour = key.replace("linux", "windows")
    s3_storage.put(neighbour, plugin_zip)
    link = s3_storage.download_link(key, "TapeEcho.vst3.zip", datetime.now(UTC) + timedelta(minutes=10))
    now = datetime.now(UTC)
    signature = link.url.rpartition("X-Amz-Signature=")[2]
    altered = {
        "another object": link.url.replace(key, neighbour),
        "a longer life": link.url.replace("X-Amz-Expires=600", "X-Amz-Expires=604800"),
        "another file name": link.url.replace("TapeEcho.vst3.zip%22", "Other.zip%22"),
        "a changed signature": link.url.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:]),
    }
    for what, url in altered.items():
        assert url != link.url, what
        with pytest.raises(InvalidDownloadLink, match="the download link's signature is wrong"):
            s3_storage.verify_link(url, now)
    with pytest.raises(InvalidDownloadLink, match="the download link is incomplete"):
        s3_storage.verify_link(link.url.partition("&X-Amz-Signature=")[0], now)
    other_secret = S3ArtifactStorage(s3_server.settings(s3_storage.bucket, secret_access_key="another-secret-key"))
    with pytest.raises(InvalidDownloadLink, match="signature is wrong"):
        other_secret.verify_link(link.url, now)


def test_the_link_check_is_s3s_own() -> None:
    """AWS's published presigned-URL example (S3 API reference, "Authenticating Requests: Using Query
    Parameters"): the storage accepts it with the example's credentials, and only until it expires."""
    example = S3ArtifactStorage(
        S3Settings(
            bucket="examplebucket",
            access_key_id="AKIAIOSFODNN7EXAMPLE",
            secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
    )
    url = (
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z"
        "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )
    signed = datetime(2013, 5, 24, tzinfo=UTC)
    assert example.verify_link(url, signed + timedelta(hours=23)) == "test.txt"
    with pytest.raises(InvalidDownloadLink, match="expired at 2013-05-25 00:00 UTC"):
        example.verify_link(url, signed + timedelta(days=1, seconds=1))
    with pytest.raises(InvalidDownloadLink, match="signature is wrong"):
        example.verify_link(url.replace("test.txt", "test2.txt"), signed)


def test_a_refused_write_is_named_and_keeps_what_was_stored(
    s3_server: S3Server,
    s3_storage: S3ArtifactStorage,
    bucket: str,
    key: str,
    plugin_zip: Path,
    tmp_path: Path,
) -> None:
    s3_storage.put(key, plugin_zip, METADATA)
    deny_writes(s3_server, bucket)
    small = tmp_path / "small.zip"
    small.write_bytes(b"a newer plugin")
    large = tmp_path / "large.zip"
    large.write_bytes(b"\x01" * (6 * MIB))
    for newer in (small, large):  # one request, then a multipart upload refused part by part
        with pytest.raises(StoreError, match=rf"^the bucket '{bucket}' refused the write of {key}: AccessDenied"):
            s3_storage.put(key, newer, METADATA)
    assert s3_storage.read(key) == PLUGIN, "the stored plugin stays"
    assert s3_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == [], "none left open"


def test_wrong_credentials_are_named(s3_server: S3Server, bucket: str, key: str, plugin_zip: Path) -> None:
    S3ArtifactStorage(s3_server.settings(bucket)).put(key, plugin_zip)
    with s3_server.iam_enforced(unchecked_requests=3):  # a user who may read the bucket, not write to it
        iam = s3_server.iam()
        iam.create_user(UserName="reader")
        credentials = iam.create_access_key(UserName="reader")["AccessKey"]
        policy = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}
        iam.put_user_policy(
            UserName="reader",
            PolicyName="read",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [policy]}),
        )

        def storage(access_key_id: str, secret_access_key: str) -> S3ArtifactStorage:
            return S3ArtifactStorage(
                s3_server.settings(bucket, access_key_id=access_key_id, secret_access_key=secret_access_key)
            )

        reader = storage(credentials["AccessKeyId"], credentials["SecretAccessKey"])
        assert reader.read(key) == PLUGIN
        with pytest.raises(StoreError, match=r"refused the write of .*: AccessDenied \(Access Denied\)"):
            reader.put(key, plugin_zip)
        with pytest.raises(
            StoreError, match=r"refused the secret access key \(SignatureDoesNotMatch\): check VAIST_S3_SECRET"
        ):
            storage(credentials["AccessKeyId"], "not-the-secret-access-key").read(key)
        with pytest.raises(StoreError, match="does not know the access key id …0000: check VAIST_S3_ACCESS_KEY_ID"):
            list(storage("AKIAUNKNOWNKEY000000", "any-secret-access-key").objects())


def test_a_missing_bucket_is_named(s3_server: S3Server, key: str, plugin_zip: Path) -> None:
    storage = S3ArtifactStorage(s3_server.settings("no-such-bucket"))
    message = rf"^the bucket 'no-such-bucket' does not exist at {s3_server.url}: create it, or set VAIST_S3_BUCKET"
    for call in (
        lambda: storage.put(key, plugin_zip),
        lambda: storage.read(key),
        lambda: list(storage.objects()),
        lambda: storage.download_link(key, "x.zip", datetime.now(UTC) + timedelta(minutes=1)),
    ):
        with pytest.raises(StoreError, match=message):
            call()


def test_a_missing_object_is_named(s3_storage: S3ArtifactStorage, key: str) -> None:
    with pytest.raises(ArtifactNotFound, match=rf"^no artifact {key} in the bucket '{s3_storage.bucket}'$"):
        s3_storage.read(key)
    with pytest.raises(ArtifactNotFound, match="no artifact"):
        s3_storage.download_link(key, "TapeEcho.vst3.zip", datetime.now(UTC) + timedelta(minutes=1))
    assert not s3_storage.delete(key)


def test_a_damaged_object_is_refused(
    s3_server: S3Server,
    s3_storage: S3ArtifactStorage,
    bucket: str,
    key: str,
    plugin_zip: Path,
) -> None:
    stored = s3_storage.put(key, plugin_zip)
    s3_server.client().put_object(Bucket=bucket, Key=key, Body=b"other bytes", Metadata={"sha256": stored.sha256})
    with pytest.raises(StoreError, match="is damaged: its SHA-256 is not the one stored with it"):
        s3_storage.read(key)


def test_an_endpoint_that_does_not_answer_is_retried_then_named(bucket: str, s3_server: S3Server, key: str) -> None:
    port = free_port()  # nothing listens there
    storage = S3ArtifactStorage(s3_server.settings(bucket, endpoint_url=f"http://127.0.0.1:{port}", max_attempts=3))
    attempts = count_requests(storage, "GetObject")
    unreachable = (
        rf"^cannot reach the artifact storage at http://127.0.0.1:{port} for the read of {key} \(tried 3 times\)"
    )
    with pytest.raises(StoreError, match=unreachable):
        storage.read(key)
    assert len(attempts) == 3, "botocore's retries, bounded"


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    r2 = {
        "VAIST_ARTIFACT_STORE": "s3",
        "VAIST_S3_ENDPOINT_URL": "https://0123456789abcdef.r2.cloudflarestorage.com",
        "VAIST_S3_BUCKET": "vaist-artifacts",
        "VAIST_S3_REGION": "auto",
        "VAIST_S3_ACCESS_KEY_ID": "r2-access-key-id-0001",
        "VAIST_S3_SECRET_ACCESS_KEY": "r2-secret",
        "VAIST_S3_PREFIX": "builds/vaist",
    }
    storage = artifact_storage(tmp_path, b"k" * 32, r2)
    assert isinstance(storage, S3ArtifactStorage)
    assert storage.settings.prefix == "builds/vaist/" and storage.client.meta.region_name == "auto"
    assert "r2-secret" not in repr(storage.settings)
    assert isinstance(artifact_storage(tmp_path, b"k" * 32, {}), LocalArtifactStorage)
    refused = {
        "VAIST_ARTIFACT_STORE must be local or s3, not 'ftp'": {"VAIST_ARTIFACT_STORE": "ftp"},
        "VAIST_ARTIFACT_STORE=s3 needs VAIST_S3_BUCKET": {**r2, "VAIST_S3_BUCKET": ""},
        "'Vaist_Artifacts' is not a bucket name": {**r2, "VAIST_S3_BUCKET": "Vaist_Artifacts"},
        "VAIST_S3_ADDRESSING_STYLE must be one of auto, path, virtual, not 'dns'": {
            **r2,
            "VAIST_S3_ADDRESSING_STYLE": "dns",
        },
        "VAIST_S3_ACCESS_KEY_ID and VAIST_S3_SECRET_ACCESS_KEY go together": {**r2, "VAIST_S3_SECRET_ACCESS_KEY": ""},
        "VAIST_S3_PREFIX 'a b/' is not a folder": {**r2, "VAIST_S3_PREFIX": "a b"},
        "VAIST_S3_ENDPOINT_URL 'r2.example' is not an http": {**r2, "VAIST_S3_ENDPOINT_URL": "r2.example"},
    }
    for message, env in refused.items():
        with pytest.raises(StoreError, match=message):
            artifact_storage(tmp_path, b"k" * 32, env)


def test_a_file_name_is_saved_as_given() -> None:
    assert attachment("TapeEcho.vst3.zip") == 'attachment; filename="TapeEcho.vst3.zip"'
    assert attachment('Bänd "Echo".zip') == (
        "attachment; filename=\"B_nd _Echo_.zip\"; filename*=UTF-8''B%C3%A4nd%20%22Echo%22.zip"
    )
