"""Builds per platform (a build on GitHub Actions has one row per platform), and each user's GitHub settings.

- `platform_builds`: what one build did on one platform (status, timing, message, progress, its plugin's
  verification verdict); filled from the existing artifacts (one succeeded row per built platform), so that
  a project built before this revision still shows its build.
- `users.github_repository`, `users.github_api_url`: where the user's remote builds run (the token is one of
  their encrypted API keys).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Self-contained on purpose: a migration describes the schema as it was, so it does not import the models.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("users", sa.Column("github_repository", sa.String(140)))
    op.add_column("users", sa.Column("github_api_url", sa.String(300)))
    platform_builds = op.create_table(
        "platform_builds",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("build_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("remote", sa.String(16)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("progress_done", sa.Integer()),
        sa.Column("progress_total", sa.Integer()),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("passed", sa.Boolean()),
        sa.Column("worst_db", sa.Double()),
        timestamp("started_at"),
        timestamp("finished_at", nullable=True),
        sa.Column("duration_s", sa.Double()),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_platform_builds_project_id_projects", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_platform_builds"),
        sa.UniqueConstraint("build_id", "platform", name="uq_platform_builds_build_id_platform"),
    )
    op.create_index("ix_platform_builds_project_id_platform_id", "platform_builds", ["project_id", "platform", "id"])
    rows = _rows_of_existing_artifacts()
    if rows:
        op.bulk_insert(platform_builds, rows)


def _rows_of_existing_artifacts() -> list[dict[str, Any]]:
    """A succeeded row for each plugin a project holds (its build's id, else a new one)."""
    projects = sa.table(
        "projects", sa.column("id", sa.Uuid()), sa.column("build_id", sa.Uuid()), sa.column("artifacts", JSON)
    )
    rows = []
    for project_id, build_id, artifacts in op.get_bind().execute(
        sa.select(projects.c.id, projects.c.build_id, projects.c.artifacts)
    ):
        for platform, info in sorted((artifacts or {}).items()):
            built_at = datetime.fromisoformat(info["built_at"]).astimezone(UTC)
            verification = info.get("verification") or {}
            rows.append(
                {
                    "project_id": project_id,
                    "build_id": build_id or uuid.uuid4(),
                    "platform": platform,
                    "remote": None,
                    "status": "succeeded",
                    "message": f"built {info['filename']}",
                    "step": "",
                    "passed": verification.get("passed"),
                    "worst_db": _worst(verification),
                    "started_at": built_at,
                    "finished_at": built_at,
                }
            )
    return rows


def _worst(verification: Mapping[str, Any]) -> float | None:
    """The worst fidelity figure of a stored verification (figures may be "inf"/"-inf" strings)."""
    figures = [float(item["worst_db"]) for item in verification.get("fidelity", ())]
    worst = max(figures, default=None)
    return None if worst is None or math.isnan(worst) else worst


def downgrade() -> None:
    op.drop_table("platform_builds")  # dropping a table drops its indexes
    op.drop_column("users", "github_api_url")
    op.drop_column("users", "github_repository")
