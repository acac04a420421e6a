"""Migration 0002 on SQLite and PostgreSQL, on a database that already holds a built project: each plugin the
project holds becomes a succeeded build row of its platform (verdict and worst figure from its stored
verification), the users gain their GitHub settings, and going back to 0001 leaves the project as it was."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy.dialects import postgresql

from vaist_lab.store import Database
from vaist_lab.store.database import alembic_config

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BUILT_AT = datetime(2026, 11, 30, 18, 5, tzinfo=UTC)
USERS = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String()),
    sa.column("generation_count", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
PROJECTS = sa.table(
    "projects",
    *(sa.column(name, sa.String()) for name in ("name", "description", "prompt", "plugin_code", "status")),
    *(sa.column(name, sa.Uuid()) for name in ("id", "user_id", "build_id")),
    *(sa.column(name, sa.Integer()) for name in ("plan_version", "build_attempts")),
    sa.column("cancel_requested", sa.Boolean()),
    sa.column("artifacts", JSON),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in ("created_at", "updated_at")),
)
PLATFORM_BUILDS = sa.table(
    "platform_builds",
    *(sa.column(name, sa.Uuid()) for name in ("project_id", "build_id")),
    *(sa.column(name, sa.String()) for name in ("platform", "status", "remote", "message")),
    sa.column("passed", sa.Boolean()),
    sa.column("worst_db", sa.Double()),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in ("started_at", "finished_at")),
)
ARTIFACT = {
    "key": "projects/p/linux-x86_64/TapeEcho.vst3.zip",
    "filename": "TapeEcho.vst3.zip",
    "size": 1234,
    "sha256": "0" * 64,
    "built_at": BUILT_AT.isoformat(),
    "verification": {
        "passed": True,
        "summary": "verified",
        "fidelity": [
            {"sample_rate": 44100, "worst_db": "-inf", "limit_db": -90.0, "passed": True},
            {"sample_rate": 96000, "worst_db": -120.5, "limit_db": -90.0, "passed": True},
        ],
    },
}


def utc(moment: datetime) -> datetime:
    """A time read back: SQLite keeps no zone (the models' UTCDateTime adds UTC back), PostgreSQL does."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def migrate(database: Database, revision: str, downgrade: bool = False) -> None:
    config = alembic_config()
    with database.connection() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(config, revision)


def test_built_projects_keep_their_builds_through_0002_and_back(database_url: str) -> None:
    database = Database(database_url)
    user, project, build = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    try:
        migrate(database, "0001")
        with database.connection() as connection:
            connection.execute(sa.insert(USERS).values(id=user, email="a@b.c", generation_count=0, created_at=BUILT_AT))
            connection.execute(
                sa.insert(PROJECTS).values(
                    id=project,
                    user_id=user,
                    build_id=build,
                    name="Echo",
                    description="",
                    prompt="",
                    plugin_code="Ec01",
                    status="SUCCESS",
                    plan_version=1,
                    build_attempts=1,
                    cancel_requested=False,
                    artifacts={"linux-x86_64": ARTIFACT},
                    created_at=BUILT_AT,
                    updated_at=BUILT_AT,
                )
            )
        database.upgrade()
        with database.connection() as connection:
            (row,) = connection.execute(sa.select(PLATFORM_BUILDS)).mappings().all()
            github = connection.execute(sa.text("SELECT github_repository, github_api_url FROM users")).one()
        assert (row["project_id"], row["build_id"], row["platform"]) == (project, build, "linux-x86_64")
        assert (row["status"], row["remote"], row["message"]) == ("succeeded", None, "built TapeEcho.vst3.zip")
        assert row["passed"] is True and row["worst_db"] == -120.5
        assert utc(row["started_at"]) == utc(row["finished_at"]) == BUILT_AT
        assert tuple(github) == (None, None)

        migrate(database, "0001", downgrade=True)
        with database.connection() as connection:
            assert "platform_builds" not in sa.inspect(connection).get_table_names()
            assert "github_repository" not in {column["name"] for column in sa.inspect(connection).get_columns("users")}
            artifacts = connection.execute(sa.select(PROJECTS.c.artifacts)).scalar_one()
        assert artifacts == {"linux-x86_64": ARTIFACT}
    finally:
        database.dispose()
