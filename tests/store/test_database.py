"""The database on SQLite and PostgreSQL: migrations from empty, the SQLite settings, and a clear error for
a locked, read-only, unreachable or newer-schema database."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, make_url, select, text

from vaist_lab.store import (
    Database,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnavailable,
    database_url,
)
from vaist_lab.store.database import alembic_config, normalise_url
from vaist_lab.store.models import Base, Template
from vaist_lab.store.testing import shared_postgres

TABLES = {"users", "api_keys", "projects", "plan_versions", "chat_messages", "build_logs", "templates", "generations"}


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrations_from_empty_build_the_models_schema(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert database.schema_revision() is None
        database.upgrade()
        assert database.schema_revision() == head()
        with database.connection() as connection:
            assert set(inspect(connection).get_table_names()) >= TABLES
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == [], "the migrations and the models disagree"
        database.upgrade()  # a second start finds nothing to do
        assert database.schema_revision() == head()
    finally:
        database.dispose()


def test_downgrade_to_empty_and_up_again(database_url: str) -> None:
    database = Database(database_url)
    try:
        database.upgrade()
        config = alembic_config()
        with database.connection() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        with database.connection() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        database.upgrade()
        assert database.schema_revision() == head()
    finally:
        database.dispose()


def test_a_database_from_a_newer_vaist_lab_is_refused_untouched(database_url: str) -> None:
    database = Database(database_url)
    try:
        database.upgrade()
        with database.connection() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe9999'"))
        with pytest.raises(DatabaseTooNew, match=r"schema revision f00dcafe9999, newer than .* upgrade vaist-lab"):
            database.upgrade()
        assert database.schema_revision() == "f00dcafe9999"
    finally:
        database.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'deep' / 'folder' / 'vaist.db'}", busy_timeout=3)
    try:
        with database.connection() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 3000
        assert (tmp_path / "deep" / "folder" / "vaist.db").is_file()
    finally:
        database.dispose()


def test_the_default_database_is_a_file_in_the_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VAIST_DATABASE_URL", raising=False)
    monkeypatch.setenv("VAIST_DATA_DIR", str(tmp_path / "data"))
    assert database_url() == f"sqlite:///{tmp_path / 'data' / 'vaist-lab.db'}"
    monkeypatch.delenv("VAIST_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert database_url() == f"sqlite:///{tmp_path / 'xdg' / 'vaist-lab' / 'vaist-lab.db'}"
    monkeypatch.setenv("VAIST_DATABASE_URL", "postgresql://someone:secret@db.example/vaist")
    assert database_url() == "postgresql://someone:secret@db.example/vaist"


def test_plain_postgresql_urls_mean_psycopg_3_and_passwords_stay_out_of_messages() -> None:
    assert normalise_url("postgresql://a@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://a@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(DatabaseUnavailable, match="unsupported database 'mysql'"):
        normalise_url("mysql://a@h/db")
    with pytest.raises(DatabaseUnavailable, match="not a database URL"):
        normalise_url("not a url at all")
    assert "hunter2" not in Database("postgresql://someone:hunter2@127.0.0.1:1/db").display_url


def test_a_locked_database_is_a_clear_error(database_url: str) -> None:
    database = Database(database_url, busy_timeout=0.2)
    try:
        database.upgrade()
        if database.is_sqlite:
            holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
        else:
            holder = database.engine.raw_connection()
            holder.cursor().execute("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE")
        try:
            with (
                pytest.raises(DatabaseLocked, match=r"is locked by another (process|session) \(waited 0\.2 s"),
                database.connection() as connection,
            ):
                connection.execute(text("SELECT count(*) FROM projects")).scalar()
        finally:
            holder.rollback()
            holder.close()
    finally:
        database.dispose()


def test_a_busy_database_is_waited_for_not_refused(database_url: str) -> None:
    database = Database(database_url, busy_timeout=10)
    try:
        database.upgrade()
        with database.session() as session:
            session.add(Template(name="t", plugin_name="T", category="GAIN", explanation="", plan={}, usage_count=0))
        with database.connection() as first:
            first.execute(BUMP)
            waiter = threading.Thread(target=lambda: _bump(database))
            waiter.start()
            waiter.join(0.3)
            assert waiter.is_alive(), "the second writer waits for the first"
        waiter.join(5)
        assert not waiter.is_alive()
        with database.connection() as connection:
            assert connection.execute(text("SELECT usage_count FROM templates")).scalar() == 2
    finally:
        database.dispose()


BUMP = text("UPDATE templates SET usage_count = usage_count + 1 WHERE name = 't'")


def test_a_reading_session_neither_waits_for_a_writer_nor_holds_one_up(database_url: str) -> None:
    """The reads of a busy service (log long polls, project views) do not queue for SQLite's one writer."""
    database = Database(database_url, busy_timeout=0.2)
    try:
        database.upgrade()
        with database.session() as session:
            session.add(Template(name="t", plugin_name="T", category="GAIN", explanation="", plan={}, usage_count=0))
        with database.connection() as writer:  # a write in progress
            writer.execute(BUMP)
            with database.reading() as session:
                assert session.scalar(select(Template.usage_count)) == 0  # what was committed
            if database.is_sqlite:  # where a session that may write waits for the writer
                with pytest.raises(DatabaseLocked), database.session() as session:
                    session.scalar(select(Template.usage_count))
        with database.reading() as session:
            assert session.scalar(select(Template.usage_count)) == 1
            _bump(database)  # the reading session holds up no writer (busy_timeout is 0.2 s)
        with database.reading() as session:
            assert session.scalar(select(Template.usage_count)) == 2
    finally:
        database.dispose()


def _bump(database: Database) -> None:
    with database.connection() as connection:
        connection.execute(BUMP)


def test_a_read_only_database_is_a_clear_error(database_url: str, backend: str) -> None:
    setup = Database(database_url)
    setup.upgrade()
    setup.dispose()
    if backend == "sqlite":
        read_only_url = f"sqlite:///file:{make_url(database_url).database}?mode=ro&uri=true"
    else:
        name = make_url(database_url).database
        shared_postgres().sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        read_only_url = database_url
    database = Database(read_only_url)
    try:
        with pytest.raises(DatabaseReadOnly, match=r"read-only|refuses writes"), database.connection() as connection:
            connection.execute(text("UPDATE templates SET usage_count = 1"))
    finally:
        database.dispose()


def test_a_file_that_is_no_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "vaist.db"
    path.write_bytes(b"these are not the pages of an SQLite database" * 100)
    database = Database(f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseUnavailable, match="not a database"):
            database.upgrade()
    finally:
        database.dispose()


def test_an_unreachable_server_is_a_clear_error() -> None:
    database = Database("postgresql://vaist:hunter2@127.0.0.1:9/vaist", busy_timeout=1)
    try:
        with pytest.raises(DatabaseUnavailable, match="cannot connect to the database") as raised:
            database.upgrade()
        assert "hunter2" not in str(raised.value)
    finally:
        database.dispose()
