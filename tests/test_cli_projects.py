"""The project, chat, keys and maintenance commands as a user meets them: real processes on an embedded
database in a temporary data folder, one-line errors, no tracebacks, no key ever printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def run(cli):
    return cli


def test_plan_from_words_offline(run, tmp_path: Path) -> None:
    result = run("plan", "a lush chorus for clean guitar", "-o", str(tmp_path / "plan.json"))
    assert result.returncode == 0, result.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["category"] == "CHORUS"
    assert run("validate", str(tmp_path / "plan.json")).returncode == 0


def test_a_project_from_words_to_approval(run) -> None:
    assert run("project", "new", "Echo", "--prompt", "a dark echo").returncode == 0
    chat = run(
        "chat",
        "Echo",
        stdin="a warm tape delay that darkens its repeats\nmore feedback\n/diff\n/revert 1\n/approve\n/revert 9\n",
    )
    assert chat.returncode == 0, chat.stderr
    assert "plan version 2 [PLANNING]" in chat.stdout and "[APPROVED]" in chat.stdout
    assert "feedback.default" in chat.stdout  # the /diff of the second turn
    assert "error: project 'Echo' has no plan version 9" in chat.stderr
    shown = run("project", "show", "Echo")
    assert "[APPROVED]" in shown.stdout and "/revert 1" in shown.stdout
    edited = run("project", "set", "Echo", "feedback=60", "--range", "mix=0:80")
    assert edited.returncode == 0 and "[PLANNING]" in edited.stdout
    assert "Echo" in run("project", "list").stdout


def test_errors_name_the_problem(run) -> None:
    missing = run("project", "show", "nosuch")
    assert missing.returncode == 1 and "no project nosuch" in missing.stderr
    run("project", "new", "Empty")
    approve = run("project", "approve", "Empty")
    assert approve.returncode == 1 and "Error:" in approve.stderr
    bad = run("project", "set", "Empty", "feedback=loud")
    assert bad.returncode == 2 and "NAME=VALUE" in bad.stderr


def test_keys_are_never_printed(run) -> None:
    secret = "sk-test-0123456789abcdefSECRET"
    stored = run("keys", "set", "openai", "--key", secret)
    assert stored.returncode == 0 and secret not in stored.stdout + stored.stderr
    listed = run("keys", "list")
    assert "openai" in listed.stdout and secret not in listed.stdout
    rotated = run("secrets", "rotate")
    assert rotated.returncode == 0 and "1 key(s) re-encrypted" in rotated.stdout
    assert "openai" in run("keys", "list").stdout
    assert run("keys", "delete", "openai").stdout.strip() == "openai: deleted"


def test_cleanup_is_a_dry_run_unless_told(run) -> None:
    run("project", "new", "Doomed", "--template", "warm-drive")
    assert run("project", "delete", "Doomed", "--yes").returncode == 0
    dry = run("cleanup", "--older-than", "0d")
    assert dry.returncode == 0 and dry.stdout.startswith("would remove:") and "1 deleted project(s)" in dry.stdout
    real = run("cleanup", "--older-than", "0d", "--yes")
    assert real.stdout.startswith("removed:") and "1 deleted project(s)" in real.stdout
    assert "0 deleted project(s)" in run("cleanup", "--older-than", "0d").stdout
