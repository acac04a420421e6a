"""The service's download links by storage: on an S3 bucket the link is the bucket's presigned URL as it is
(the browser fetches the plugin from the bucket: no token, no service in between); on local storage it is
the storage's signed path made a URL below the service's prefix, which the service serves and verifies
(end to end through the hub in test_hub_service.py)."""

from __future__ import annotations

import io
import urllib.request
import zipfile
from pathlib import Path

import pytest
from hub_harness import ALICE
from lab_states import project_in
from s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3Server, s3_server  # noqa: F401 - fixture
from scripted_builder import BINARY, ScriptedBuilder

from vaist_lab.hub.service import HubUserLab
from vaist_lab.service.lab import Lab
from vaist_lab.service.settings import LabSettings
from vaist_lab.status import ProjectStatus

SERVICE_BASE = "https://lab.example.com/services/vaist/"
PLUGIN_FILE = "TapeEcho.vst3/Contents/x86_64-linux/TapeEcho.so"


def open_lab(folder: Path) -> Lab:
    return Lab.open(
        data=folder / "data",
        settings=LabSettings(verify_builds=False),
        builder_factory=ScriptedBuilder,
        work_root=folder / "work",
        build_roots=[],
    )


def test_a_bucket_link_is_the_buckets_presigned_url(
    s3_server: S3Server,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bucket = s3_server.new_bucket()
    for name, value in s3_server.environment(bucket).items():
        monkeypatch.setenv(name, value)
    with open_lab(tmp_path) as lab:
        user = lab.ensure_user(ALICE)
        project = project_in(lab, user, ProjectStatus.SUCCESS)
        link = HubUserLab(lab, user, SERVICE_BASE).download_link(project)
    assert link.url.startswith(f"{s3_server.url}/{bucket}/projects/{project}/") and "X-Amz-Signature=" in link.url
    with (
        urllib.request.urlopen(link.url, timeout=30) as response,
        zipfile.ZipFile(io.BytesIO(response.read())) as zipped,
    ):
        assert zipped.read(PLUGIN_FILE) == BINARY


def test_a_local_link_is_served_below_the_services_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAIST_ARTIFACT_STORE", raising=False)
    with open_lab(tmp_path) as lab:
        user = lab.ensure_user(ALICE)
        project = project_in(lab, user, ProjectStatus.SUCCESS)
        link = HubUserLab(lab, user, SERVICE_BASE).download_link(project)
        assert link.url.startswith(f"{SERVICE_BASE}artifacts/projects/{project}/") and "signature=" in link.url
        assert link.filename == "TapeEcho.vst3.zip" and link.size > 0
