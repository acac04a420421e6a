"""The whole service on S3 artifact storage, configured as a server would be (VAIST_ARTIFACT_STORE=s3 and the
VAIST_S3_* variables, here pointing at moto's S3 server on loopback): a build in a worker process of its own
stores the plugin in the bucket with its project, user and platform; the workbench's download (UserLab), the
CLI's `project download` and the presigned link all give it back; a rebuild whose plugin the bucket refuses
fails with that reason while the plugin stored before stays downloadable."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3Server, s3_server  # noqa: F401 - fixture
from scripted_builder import BINARY

from vaist_lab.service import DetachedBuildExecutor, InvalidInput, Lab, LabSettings, UserLab, host_platform
from vaist_lab.service.build_worker import BUILDER_VARIABLE
from vaist_lab.store import ProjectStatus
from vaist_lab.store.artifacts import artifact_key
from vaist_lab.store.database import database_url
from vaist_lab.store.s3 import S3ArtifactStorage

SETTINGS = LabSettings(
    heartbeat_interval=0.1, build_workers=1, verify_builds=False, link_lifetime=timedelta(minutes=15)
)
TIMEOUT = 60  # a worker process imports the service first: seconds on a busy machine
PLUGIN_FILE = "TapeEcho.vst3/Contents/x86_64-linux/TapeEcho.so"


@pytest.fixture
def s3_lab(
    s3_server: S3Server,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Lab]:
    """A Lab opened on a server's environment naming a fresh bucket, on the data folder's SQLite database (the
    storage does not depend on the database; the CLI finds it there too); its builds run in worker processes
    (which inherit the environment) with the scripted builder."""
    variables = {
        **s3_server.environment(s3_server.new_bucket()),
        "VAIST_S3_PREFIX": "vaist",
        BUILDER_VARIABLE: "scripted_builder:ScriptedBuilder",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parent), os.environ.get("PYTHONPATH")])),
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    data, work = tmp_path / "data", tmp_path / "work"  # the conftest set VAIST_DATA_DIR to this data folder
    executor = DetachedBuildExecutor(database_url(data), data, SETTINGS, work_root=work)
    lab = Lab.open(data=data, settings=SETTINGS, executor=executor, work_root=work)
    yield lab
    lab.close()


def test_a_lab_on_s3_builds_stores_and_downloads(s3_lab: Lab, s3_server: S3Server, tmp_path: Path) -> None:  # noqa: F811
    storage = s3_lab.storage
    assert isinstance(storage, S3ArtifactStorage)
    user = s3_lab.local_user()  # the CLI's
    project = s3_lab.create_project(user, "Echo", template="tape-echo").id
    s3_lab.approve(user, project)
    handle = s3_lab.start_build(user, project)
    view = s3_lab.wait_for_build(user, project, timeout=TIMEOUT)
    assert view.status is ProjectStatus.SUCCESS, view.last_error
    artifact = view.artifacts[host_platform()]
    key = artifact_key(project, host_platform(), "TapeEcho.vst3.zip")

    head = s3_server.client().head_object(Bucket=storage.bucket, Key=f"vaist/{key}")
    assert head["Metadata"] == {
        "project": str(project),
        "user": str(user.id),
        "platform": host_platform(),
        "build": str(handle.build_id),
        "sha256": artifact.sha256,
    }
    downloaded = UserLab(s3_lab, user).download(project)
    assert downloaded.filename == "TapeEcho.vst3.zip"
    with zipfile.ZipFile(io.BytesIO(downloaded.data)) as archive:
        assert archive.read(PLUGIN_FILE) == BINARY
    cli = subprocess.run(
        [sys.executable, "-m", "vaist_lab", "project", "download", "Echo", "-o", "downloads"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert (tmp_path / cli.stdout.splitlines()[-1]).read_bytes() == downloaded.data
    link = s3_lab.download_link(user, project)
    assert link.url.startswith(f"{s3_server.url}/{storage.bucket}/vaist/projects/{project}/")
    assert "X-Amz-Expires=900" in link.url, "the lab's link lifetime"
    with urllib.request.urlopen(link.url, timeout=10) as response:
        assert response.read() == downloaded.data

    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{storage.bucket}/*",
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    s3_server.client().put_bucket_policy(Bucket=storage.bucket, Policy=policy)
    s3_lab.rebuild(user, project)
    failed = s3_lab.wait_for_build(user, project, timeout=TIMEOUT)
    assert failed.status is ProjectStatus.FAILED
    assert failed.last_error is not None
    refused = f"the bucket '{storage.bucket}' refused the write of {key}: AccessDenied"
    assert failed.last_error.startswith(f"cannot store the built plugin: {refused}")
    assert UserLab(s3_lab, user).download(project).data == downloaded.data, "the plugin stored before stays"


def test_the_link_lifetime_comes_from_the_environment() -> None:
    for text, lifetime in (("900", timedelta(minutes=15)), ("15m", timedelta(minutes=15)), ("7d", timedelta(days=7))):
        assert LabSettings.from_environment({"VAIST_DOWNLOAD_LINK_TTL": text}).link_lifetime == lifetime
    for text in ("0", "-60", "soon", "nan"):
        with pytest.raises(InvalidInput, match=f"VAIST_DOWNLOAD_LINK_TTL must be seconds or an age .*not '{text}'"):
            LabSettings.from_environment({"VAIST_DOWNLOAD_LINK_TTL": text})
