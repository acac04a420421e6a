"""A real S3-compatible server for the tests: moto's server mode (`python -m moto.server`) in a process of its
own on a free loopback port, spoken to over HTTP by boto3 like any bucket. Each test gets a bucket of its own.

What moto's server checks, read in its source (moto 5.2) and tried: bucket policies that deny an object action
(a 403 with no body); header-signed requests (signature and IAM policy) only once IAM enforcement is on
(`iam_enforced`, its /moto-api/reset-auth); presigned (query-signed) URLs never: an expired or altered link
still downloads. The tests therefore prove a link's expiry and signature through the storage's own SigV4
check (`S3ArtifactStorage.verify_link`), which is held to AWS's published presigned-URL example.

The module sits in tests/ (on sys.path through tests/conftest.py) so that store and service tests share it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
from botocore.config import Config

from vaist_lab.store.s3 import MIB, S3ArtifactStorage, S3Settings

ACCESS_KEY_ID = "vaist-test-access-key"
SECRET_ACCESS_KEY = "vaist-test-secret-access-key"
REGION = "us-east-1"
STARTUP_TIMEOUT = 60.0


@dataclass(frozen=True)
class S3Server:
    url: str

    def client(self, access_key_id: str = ACCESS_KEY_ID, secret_access_key: str = SECRET_ACCESS_KEY) -> Any:
        """A boto3 S3 client of the server, for setting buckets up and looking at what the storage wrote."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def iam(self) -> Any:
        return boto3.client(
            "iam",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def new_bucket(self) -> str:
        name = f"vaist-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name

    def environment(self, bucket: str) -> dict[str, str]:
        """The variables a server's configuration sets to keep its plugins in `bucket` on this server."""
        return {
            "VAIST_ARTIFACT_STORE": "s3",
            "VAIST_S3_ENDPOINT_URL": self.url,
            "VAIST_S3_BUCKET": bucket,
            "VAIST_S3_REGION": REGION,
            "VAIST_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "VAIST_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "VAIST_S3_ADDRESSING_STYLE": "path",
        }

    def settings(self, bucket: str, **changes: Any) -> S3Settings:
        """Settings for `bucket` on this server as a MinIO user would write them: path-style addressing, the
        smallest parts S3 allows (so that a 6 MiB file goes up in two), few quick retries."""
        base = S3Settings(
            bucket=bucket,
            endpoint_url=self.url,
            region=REGION,
            access_key_id=ACCESS_KEY_ID,
            secret_access_key=SECRET_ACCESS_KEY,
            addressing_style="path",
            multipart_threshold=5 * MIB,
            multipart_chunksize=5 * MIB,
            max_attempts=2,
            connect_timeout=2.0,
            read_timeout=10.0,
        )
        return replace(base, **changes)

    @contextmanager
    def iam_enforced(self, unchecked_requests: int) -> Iterator[None]:
        """Moto checks every request's signature and IAM policy after the next `unchecked_requests` (the
        setup of the IAM users), until the block ends."""
        previous = self._reset_auth(unchecked_requests)
        try:
            yield
        finally:
            self._reset_auth(previous)

    def _reset_auth(self, count: float) -> float:
        body = str(count).encode()  # moto's default is inf: nothing checked
        request = urllib.request.Request(
            f"{self.url}/moto-api/reset-auth", data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return float(json.loads(response.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])


def free_port() -> int:
    """A loopback port that nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("moto") / "server.log"
    with open(log_path, "wb") as log:  # a file, not a pipe: nobody reads the request log while tests run
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = S3Server(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/moto-api/data.json", timeout=2):
                    break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"moto's server ended: {log_path.read_text()[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto's server did not answer within {STARTUP_TIMEOUT:.0f} s") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def s3_storage(s3_server: S3Server, bucket: str) -> S3ArtifactStorage:
    return S3ArtifactStorage(s3_server.settings(bucket))
