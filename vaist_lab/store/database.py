"""The database: an SQLite file in the data folder by default, PostgreSQL (psycopg 3) when
VAIST_DATABASE_URL says so. Opening it upgrades its schema with the migrations shipped in this package.

SQLite runs in WAL mode (readers never wait for the writer) with a busy timeout and foreign keys on, and
every transaction that may write starts with BEGIN IMMEDIATE: a deferred transaction that reads and then
writes fails at once with "database is locked" when another process wrote in between, whatever the busy
timeout, while an immediate one simply waits its turn. A transaction that only reads (`Database.reading`)
is deferred: a snapshot that takes no lock, so that the many reads of a busy service (log long polls,
project views) neither queue for the one writer nor hold it up. PostgreSQL gets the same timeout as
`lock_timeout`.

Database errors that a person can act on (locked, read-only, unreachable, from a newer vaist-lab) become
StoreError subclasses with a message saying so; anything else propagates unchanged.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vaist_lab.config import data_dir
from vaist_lab.store.errors import (
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseTooNew,
    DatabaseUnavailable,
    StoreError,
)

DATABASE_URL_ENV = "VAIST_DATABASE_URL"
DATABASE_FILE = "vaist-lab.db"
DEFAULT_BUSY_TIMEOUT = 10.0  # seconds a statement waits for a lock before giving up
MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x7661_6973_745F_6462  # "vaist_db": the PostgreSQL advisory lock that serialises upgrades
_READING = "vaist_reading"  # the execution option that marks a read-only transaction's connection

# SQLSTATE classes of PostgreSQL errors that mean the same thing as SQLite's locked / read-only
_PG_LOCKED = {"55P03", "40P01"}  # lock_not_available, deadlock_detected
_PG_READ_ONLY = {"25006", "42501"}  # read_only_sql_transaction, insufficient_privilege


def database_url(data: Path | None = None) -> str:
    """$VAIST_DATABASE_URL, else the SQLite file in the data folder."""
    explicit = os.environ.get(DATABASE_URL_ENV)
    if explicit:
        return explicit
    return f"sqlite:///{(data or data_dir()) / DATABASE_FILE}"


def normalise_url(url: str | URL) -> URL:
    """The URL with its driver: plain postgresql:// (or postgres://) means psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            f"{DATABASE_URL_ENV}: not a database URL (sqlite:///FILE or postgresql://...)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(
            f"unsupported database {parsed.get_backend_name()!r}: vaist-lab runs on SQLite or PostgreSQL"
        )
    return parsed


def alembic_config() -> Config:
    """The alembic configuration of the migrations shipped in this package (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


class Database:
    """An engine, its sessions, and the schema upgrade. Thread-safe; one per process and URL is enough."""

    def __init__(self, url: str | URL | None = None, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.url = normalise_url(url if url is not None else database_url())
        self.busy_timeout = busy_timeout
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = self._sqlite_engine()
        else:
            lock_timeout = int(busy_timeout * 1000)
            self.engine = create_engine(
                self.url,
                pool_pre_ping=True,
                connect_args={"options": f"-c lock_timeout={lock_timeout}", "connect_timeout": 10},
            )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages."""
        return self.url.render_as_string(hide_password=True)

    @property
    def sqlite_path(self) -> Path | None:
        database = self.url.database
        if not self.is_sqlite or not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(database)

    def _sqlite_engine(self) -> Engine:
        path = self.sqlite_path
        if path is not None and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        engine = create_engine(self.url, connect_args={"timeout": self.busy_timeout})
        timeout_ms = int(self.busy_timeout * 1000)

        @event.listens_for(engine, "connect")
        def _configure(connection: sqlite3.Connection, _record: Any) -> None:
            connection.isolation_level = None  # transactions are begun below, as IMMEDIATE
            cursor = connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
                cursor.execute("PRAGMA foreign_keys = ON")
                if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough under WAL, much faster
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            reading = connection.get_execution_options().get(_READING, False)
            connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

        return engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with self.errors(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads, in one transaction: on SQLite a deferred one (a snapshot), which neither
        waits for a writer nor makes one wait; elsewhere the same as `session()`. Never write in it (on SQLite
        that fails as locked when another connection wrote since the snapshot)."""
        with self.errors(), self._sessions() as session, session.begin():
            session.connection(execution_options={_READING: True})  # before the transaction begins
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection in one transaction (for work below the ORM, such as migrations)."""
        with self.errors(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn database errors a person can act on into StoreErrors with a clear message."""
        try:
            yield
        except DBAPIError as error:
            translated = self.translate(error)
            if translated is None:
                raise
            raise translated from None

    def translate(self, error: DBAPIError) -> StoreError | None:
        if isinstance(error, IntegrityError):
            return None
        where = f"the database {self.sqlite_path or self.display_url}"
        original = error.orig
        detail = str(original).strip().splitlines()[0] if original is not None else str(error)
        if self.is_sqlite:
            lowered = detail.lower()
            if "locked" in lowered:
                return DatabaseLocked(
                    f"{where} is locked by another process (waited {self.busy_timeout:g} s); try again when "
                    "the other vaist-lab (or database tool) has finished"
                )
            if "readonly" in lowered or "read-only" in lowered:
                return DatabaseReadOnly(
                    f"{where} is read-only: vaist-lab has to write to it and to its folder "
                    "(check their permissions, or point VAIST_DATABASE_URL elsewhere)"
                )
            if "unable to open" in lowered or "not a database" in lowered or "disk i/o" in lowered:
                return DatabaseUnavailable(f"cannot use {where}: {detail}")
            if "disk is full" in lowered:
                return DatabaseUnavailable(f"cannot write {where}: the disk is full")
            return None
        sqlstate = getattr(original, "sqlstate", None)
        if sqlstate in _PG_LOCKED:
            return DatabaseLocked(
                f"{where} is locked by another session (waited {self.busy_timeout:g} s: {detail}); try again"
            )
        if sqlstate in _PG_READ_ONLY:
            return DatabaseReadOnly(f"{where} refuses writes: {detail}")
        if sqlstate is None or sqlstate.startswith("08"):  # no answer at all, or connection_exception
            return DatabaseUnavailable(f"cannot connect to {where}: {detail}")
        return None

    # -- schema -----------------------------------------------------------------------------------------

    def schema_revision(self) -> str | None:
        """The alembic revision the database is at (None: empty)."""
        with self.connection() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
        return heads[0] if heads else None

    def upgrade(self) -> None:
        """Migrate to the newest schema this vaist-lab knows; refuse a database from a newer one. Several
        processes may start at once: the first migrates, the others wait and find nothing to do."""
        config = alembic_config()
        script = ScriptDirectory.from_config(config)
        known = {revision.revision for revision in script.walk_revisions()}
        with self.connection() as connection:
            if not self.is_sqlite:  # SQLite's BEGIN IMMEDIATE already excludes other writers
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            current = MigrationContext.configure(connection).get_current_heads()
            unknown = [revision for revision in current if revision not in known]
            if unknown:
                raise DatabaseTooNew(
                    f"the database {self.sqlite_path or self.display_url} has schema revision {unknown[0]}, "
                    f"newer than this vaist-lab knows ({script.get_current_head()}): upgrade vaist-lab"
                )
            if set(current) != set(script.get_heads()):
                config.attributes["connection"] = connection
                command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()


__all__ = ["DATABASE_URL_ENV", "DEFAULT_BUSY_TIMEOUT", "Database", "alembic_config", "database_url", "normalise_url"]
