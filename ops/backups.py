"""Backups that are proven to restore.

A backup is three files, named after the database and the time (UTC):

- ``foodmart-20261126T020000Z.dump``: ``pg_dump`` in its custom format
  (compressed; ``pg_restore`` reads it table by table);
- ``….dump.json``: the manifest: when, app version, server and tool
  versions, the latest migration of each app, the file's size and
  SHA-256, and for every table its row count and a checksum of its rows;
- ``….dump.sha256``: the checksum in ``sha256sum -c`` form.

The dump and the manifest's counts and checksums come from one snapshot
(``pg_export_snapshot``), so they agree even while loads run. A restore
checks the file against its SHA-256, loads it into an empty database in
one transaction, and compares every table's count and checksum with the
manifest. Retention keeps the newest backups, then one a day and one a
month for a while (``prune``).
"""

import hashlib
import json
import logging
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql

from ops import pgtools

logger = logging.getLogger(__name__)

MANIFEST_FORMAT = 1
STAMP = "%Y%m%dT%H%M%SZ"


class BackupError(RuntimeError):
    pass


# ---------------------------------------------------------------- tables


def user_tables(cursor) -> list[tuple[str, str]]:
    """(schema, table) of every table holding rows, partitioned tables as
    one (their partitions are counted through them)."""
    cursor.execute(
        """
        SELECT n.nspname, c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_%'
        ORDER BY 1, 2
        """
    )
    return [(schema, table) for schema, table in cursor.fetchall()]


def table_stats(cursor, *, checksums: bool = True) -> dict[str, dict]:
    """Row count and, with ``checksums``, an order-independent checksum of
    every table's rows (the sum of a 64-bit hash of each row's text)."""
    stats = {}
    for schema, table in user_tables(cursor):
        name = sql.Identifier(schema, table)
        if checksums:
            query = sql.SQL(
                "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text "
                "FROM {} AS t"
            ).format(name)
        else:
            query = sql.SQL("SELECT count(*), NULL FROM {}").format(name)
        cursor.execute(query)
        rows, checksum = cursor.fetchone()
        stats[f"{schema}.{table}"] = {
            "rows": rows,
            **({"checksum": checksum} if checksums else {}),
        }
    return stats


def compare_stats(expected: dict, actual: dict) -> list[str]:
    """What differs between two ``table_stats`` (empty when they agree);
    checksums are compared only where both sides have one."""
    problems = []
    for table in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(table), actual.get(table)
        if want is None:
            problems.append(f"{table}: not in the backup")
        elif got is None:
            problems.append(f"{table}: missing after restore")
        elif want["rows"] != got["rows"]:
            problems.append(f"{table}: {got['rows']} rows, the backup has {want['rows']}")
        elif want.get("checksum") and got.get("checksum") and want["checksum"] != got["checksum"]:
            problems.append(f"{table}: same row count, different rows (checksum)")
    return problems


# ---------------------------------------------------------------- backup


@dataclass
class Backup:
    dump: Path
    manifest: dict
    copies: list[Path] = field(default_factory=list)
    pruned: list[Path] = field(default_factory=list)

    @property
    def manifest_path(self) -> Path:
        return manifest_path(self.dump)


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".json")


def sha256_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".sha256")


def create_backup(
    *,
    to: Path,
    copy_to: list[Path] = (),
    using: str = DEFAULT_DB_ALIAS,
    checksums: bool = True,
    retention: "Retention | None" = None,
) -> Backup:
    """Dump ``using``'s database into directory ``to`` (and copy it to each
    of ``copy_to``), with its manifest; then prune old backups there."""
    settings_dict = connections[using].settings_dict
    to.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    created = datetime.now(UTC)
    dump = to / f"{settings_dict['NAME']}-{created.strftime(STAMP)}.dump"
    partial = dump.with_name(dump.name + ".partial")
    with pgtools.connect(settings_dict, autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        server_major = conn.info.server_version // 10000
        pg_dump = pgtools.find_tool("pg_dump", server_major)
        dbname_args, env = pgtools.tool_args_and_env(settings_dict)
        command = [str(pg_dump.path), "--format=custom", f"--snapshot={snapshot}"]
        command += ["--no-password", f"--file={partial}", *dbname_args]
        # pg_dump writes while this connection counts, from one snapshot.
        result: dict = {}
        dumper = threading.Thread(target=_run, args=(command, env, result))
        dumper.start()
        with conn.cursor() as cursor:
            stats = table_stats(cursor, checksums=checksums)
            migrations = latest_migrations(cursor)
            server_version = conn.info.parameter_status("server_version")
        dumper.join()
        conn.rollback()
    if result.get("error"):
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result['error']}")
    check_archive(partial, major=pg_dump.major)
    partial.rename(dump)
    manifest = {
        "format": MANIFEST_FORMAT,
        "file": dump.name,
        "bytes": dump.stat().st_size,
        "sha256": file_sha256(dump),
        "created_at": created.isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 2),
        "app_version": app_version(),
        "database": settings_dict["NAME"],
        "server_version": server_version,
        "pg_dump_major": pg_dump.major,
        "migrations": migrations,
        "tables": stats,
    }
    write_manifest(dump, manifest)
    backup = Backup(dump, manifest)
    for directory in copy_to:
        backup.copies.append(copy_backup(dump, Path(directory)))
    if retention:
        for directory in [to, *copy_to]:
            backup.pruned += prune(Path(directory), settings_dict["NAME"], retention)
    return backup


def _run(command: list, env: dict, result: dict) -> None:
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        result["error"] = completed.stderr.strip() or f"exit {completed.returncode}"


def latest_migrations(cursor) -> dict[str, str]:
    cursor.execute(
        "SELECT app, max(name) FROM django_migrations GROUP BY app ORDER BY app"
        if table_exists(cursor, "django_migrations")
        else "SELECT NULL, NULL WHERE false"
    )
    return dict(cursor.fetchall())


def table_exists(cursor, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return cursor.fetchone()[0]


def check_archive(path: Path, *, major: int) -> None:
    """pg_restore reads the archive's table of contents (a truncated or
    foreign file fails here, not on the day of the restore)."""
    pg_restore = pgtools.find_tool("pg_restore", major)
    listing = subprocess.run(
        [str(pg_restore.path), "--list", str(path)], capture_output=True, text=True
    )
    if listing.returncode != 0 or "TABLE DATA" not in listing.stdout:
        raise BackupError(f"{path.name} is not a readable archive: {listing.stderr.strip()}")


def write_manifest(dump: Path, manifest: dict) -> None:
    _write_atomically(manifest_path(dump), json.dumps(manifest, indent=2) + "\n")
    _write_atomically(sha256_path(dump), f"{manifest['sha256']}  {dump.name}\n")


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def copy_backup(dump: Path, directory: Path) -> Path:
    """Copy a backup to a second location, then check the copy's SHA-256."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / dump.name
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(dump, partial)
    manifest = read_manifest(dump)
    if file_sha256(partial) != manifest["sha256"]:
        partial.unlink()
        raise BackupError(f"the copy in {directory} does not match {dump.name}")
    os.replace(partial, target)
    for path in (manifest_path(dump), sha256_path(dump)):
        shutil.copyfile(path, directory / path.name)
    return target


def read_manifest(dump: Path) -> dict:
    path = manifest_path(dump)
    if not path.exists():
        raise BackupError(f"no manifest next to {dump} (expected {path.name})")
    return json.loads(path.read_text())


def app_version() -> str:
    """APP_VERSION (set by the Docker build), else the git commit."""
    if os.environ.get("APP_VERSION"):
        return os.environ["APP_VERSION"]
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# ---------------------------------------------------------------- restore


@dataclass
class Restore:
    database: str
    seconds: float
    tables: int
    rows: int
    problems: list[str]


def restore_backup(
    dump: Path, *, using: str = DEFAULT_DB_ALIAS, database: str | None = None, create=False
) -> Restore:
    """Restore ``dump`` into ``using``'s database, or into ``database`` on
    the same server (made first with ``create``); it must hold no table.
    The file is checked against its manifest before, every table after."""
    manifest = read_manifest(dump)
    if file_sha256(dump) != manifest["sha256"]:
        raise BackupError(f"{dump.name} does not match the SHA-256 in its manifest")
    settings_dict = connections[using].settings_dict
    target = database or settings_dict["NAME"]
    if create:
        create_database(settings_dict, target)
    started = time.monotonic()
    with pgtools.connect(settings_dict, dbname=target, autocommit=True) as conn:
        tables = user_tables(conn.cursor())
        if tables:
            raise BackupError(
                f"database {target} is not empty ({len(tables)} tables): restore into an "
                "empty database (dropdb and createdb, or --database NEW --create)"
            )
        major = max(manifest["pg_dump_major"], conn.info.server_version // 10000)
    pg_restore = pgtools.find_tool("pg_restore", major)
    dbname_args, env = pgtools.tool_args_and_env(settings_dict, dbname=target)
    # Owners and grants are the old server's: the app's own user owns
    # what it restores, and migrate re-grants the workbench's reader role.
    command = [str(pg_restore.path), "--no-owner", "--no-privileges", "--exit-on-error"]
    command += ["--single-transaction", "--no-password", *dbname_args, str(dump)]
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing restored): {completed.stderr.strip()}")
    with pgtools.connect(settings_dict, dbname=target, autocommit=True) as conn:
        conn.execute("ANALYZE")
        has_checksums = any("checksum" in t for t in manifest["tables"].values())
        stats = table_stats(conn.cursor(), checksums=has_checksums)
    return Restore(
        database=target,
        seconds=round(time.monotonic() - started, 2),
        tables=len(stats),
        rows=sum(t["rows"] for t in stats.values()),
        problems=compare_stats(manifest["tables"], stats),
    )


def create_database(settings_dict: dict, name: str) -> None:
    with pgtools.connect(settings_dict, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(settings_dict: dict, name: str) -> None:
    with pgtools.connect(settings_dict, dbname="postgres", autocommit=True) as conn:
        query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        conn.execute(query)


# ---------------------------------------------------------------- retention


@dataclass(frozen=True)
class Retention:
    """Keep the ``last`` newest backups, plus the newest of each of the
    last ``daily`` days and of the last ``monthly`` months."""

    last: int = 7
    daily: int = 14
    monthly: int = 12

    @classmethod
    def from_settings(cls) -> "Retention":
        return cls(
            settings.BACKUP_KEEP_LAST, settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_MONTHLY
        )


def backups_to_keep(stamps: list[datetime], rule: Retention) -> set[datetime]:
    newest_first = sorted(stamps, reverse=True)
    keep = set(newest_first[: rule.last])
    for period, count in (("%Y-%m-%d", rule.daily), ("%Y-%m", rule.monthly)):
        seen: list[str] = []
        for stamp in newest_first:
            key = stamp.strftime(period)
            if key not in seen:
                seen.append(key)
                if len(seen) > count:
                    break
                keep.add(stamp)
    return keep


def list_backups(directory: Path, database: str) -> dict[datetime, Path]:
    found = {}
    for path in directory.glob(f"{database}-*.dump"):
        stamp = path.name.removeprefix(f"{database}-").removesuffix(".dump")
        try:
            found[datetime.strptime(stamp, STAMP).replace(tzinfo=UTC)] = path
        except ValueError:
            continue  # another database whose name starts the same way
    return found


def prune(directory: Path, database: str, rule: Retention) -> list[Path]:
    """Delete ``database``'s backups in ``directory`` that ``rule`` does not keep."""
    backups = list_backups(directory, database)
    keep = backups_to_keep(list(backups), rule)
    removed = []
    for stamp, dump in sorted(backups.items()):
        if stamp not in keep:
            for path in (dump, manifest_path(dump), sha256_path(dump)):
                path.unlink(missing_ok=True)
            removed.append(dump)
    return removed
