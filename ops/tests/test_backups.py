"""Backups proven to restore: the FoodMart test database is backed up with
the real pg_dump, restored with the real pg_restore into an empty
database, and compared table by table (row counts and row checksums)."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import sql

from ops import pgtools
from ops.backups import (
    BackupError,
    Retention,
    backups_to_keep,
    file_sha256,
    manifest_path,
    prune,
    read_manifest,
    restore_backup,
    table_stats,
)


@pytest.fixture(scope="module")
def database(django_db_setup, django_db_blocker):
    """The test database's settings, with access unblocked (the commands
    open their own connections, outside any test transaction)."""
    with django_db_blocker.unblock():
        yield connection.settings_dict


@pytest.fixture(scope="module")
def backup(database, tmp_path_factory):
    """One backup of the whole test database (FoodMart loaded), and a copy."""
    to, copy = tmp_path_factory.mktemp("backups"), tmp_path_factory.mktemp("second")
    out = io.StringIO()
    call_command("backup", to=to, copy_to=[copy], stdout=out)
    [dump] = to.glob("*.dump")
    return {"dump": dump, "copy": copy / dump.name, "output": out.getvalue()}


@pytest.fixture
def scratch(database):
    """The name of a database that does not exist yet; dropped afterwards."""
    name = f"{database['NAME']}_restore"
    yield name
    with pgtools.connect(database, dbname="postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def stats_of(database, dbname=None):
    with pgtools.connect(database, dbname=dbname) as conn:
        return table_stats(conn.cursor())


def test_a_backup_restores_into_an_empty_database_with_every_row(database, backup, scratch):
    original = stats_of(database)
    assert original["public.sales_saleline"]["rows"] > 80_000  # FoodMart 1997 and 1998
    assert len(original) > 40

    out = io.StringIO()
    call_command("restore", str(backup["dump"]), database=scratch, create=True, stdout=out)
    assert "every table's row count and checksum match the manifest" in out.getvalue()
    assert stats_of(database, scratch) == original

    # Lose everything, then restore the copy from the second location.
    with pgtools.connect(database, dbname=scratch, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    assert stats_of(database, scratch) == {}
    restored = restore_backup(backup["copy"], database=scratch)
    assert restored.problems == []
    assert stats_of(database, scratch) == original


def test_the_manifest_describes_the_dump(database, backup):
    manifest = read_manifest(backup["dump"])
    assert manifest["sha256"] == file_sha256(backup["dump"])
    assert manifest["bytes"] == backup["dump"].stat().st_size
    assert manifest["database"] == database["NAME"]
    assert manifest["tables"] == stats_of(database)
    assert manifest["migrations"]["sales"].startswith("00")
    assert manifest["app_version"]
    assert datetime.fromisoformat(manifest["created_at"]) <= datetime.now(UTC)
    sha_line = backup["dump"].with_name(backup["dump"].name + ".sha256").read_text()
    assert sha_line == f"{manifest['sha256']}  {backup['dump'].name}\n"  # sha256sum -c
    assert file_sha256(backup["copy"]) == manifest["sha256"]
    assert str(backup["dump"]) in backup["output"]


def test_restore_refuses_a_database_that_is_not_empty(database, backup):
    before = stats_of(database)
    with pytest.raises(BackupError, match="is not empty"):
        restore_backup(backup["dump"])
    assert stats_of(database) == before


def test_restore_refuses_a_damaged_file_before_touching_the_database(backup, scratch, tmp_path):
    damaged = tmp_path / backup["dump"].name
    data = bytearray(backup["dump"].read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(data)
    manifest_path(damaged).write_text(manifest_path(backup["dump"]).read_text())
    with pytest.raises(CommandError, match="does not match the SHA-256"):
        call_command("restore", str(damaged), database=scratch, create=True)


def test_restore_reports_tables_that_differ_from_the_manifest(backup, scratch, tmp_path):
    dump = tmp_path / backup["dump"].name
    dump.write_bytes(backup["dump"].read_bytes())
    manifest = read_manifest(backup["dump"])
    manifest["tables"]["public.inventory_store"]["rows"] += 1
    manifest_path(dump).write_text(json.dumps(manifest))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 tables differ from the manifest"):
        call_command("restore", str(dump), database=scratch, create=True, stderr=err)
    assert "public.inventory_store: 25 rows, the backup has 26" in err.getvalue()


def test_retention_keeps_the_newest_then_one_a_day_then_one_a_month():
    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    # Every 6 hours for 120 days.
    stamps = [now - timedelta(hours=6 * i) for i in range(480)]
    keep = backups_to_keep(stamps, Retention(last=7, daily=14, monthly=12))
    assert set(sorted(stamps, reverse=True)[:7]) <= keep
    days = {s.date() for s in keep}
    assert len([d for d in days if d > (now - timedelta(days=14)).date()]) == 14
    assert {s.strftime("%Y-%m") for s in keep} == {
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    }
    assert len(keep) < 30
    # The oldest of a month is not kept, its newest is.
    assert min(stamps) not in keep


def test_prune_deletes_the_three_files_of_each_old_backup(tmp_path):
    now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    for days in range(10):
        stamp = (now - timedelta(days=days)).strftime("%Y%m%dT%H%M%SZ")
        for suffix in ("dump", "dump.json", "dump.sha256"):
            (tmp_path / f"foodmart-{stamp}.{suffix}").write_text("x")
    (tmp_path / "foodmart_other-20200101T000000Z.dump").write_text("another database")
    removed = prune(tmp_path, "foodmart", Retention(last=3, daily=5, monthly=1))
    assert len(removed) == 5
    assert len(list(tmp_path.glob("foodmart-*.dump"))) == 5
    assert len(list(tmp_path.glob("*.dump.json"))) == 5
    assert (tmp_path / "foodmart_other-20200101T000000Z.dump").exists()


def test_tools_match_the_server_version(database):
    with pgtools.connect(database) as conn:
        major = conn.info.server_version // 10000
    tool = pgtools.find_tool("pg_dump", major)
    assert tool.major == major  # the embedded server's own, or Debian's for a server
    with pytest.raises(pgtools.ToolNotFound, match="no pg_dump for PostgreSQL 99"):
        pgtools.find_tool("pg_dump", 99)


def test_a_restore_drill_verifies_in_a_scratch_database_and_drops_it(database, backup):
    out = io.StringIO()
    call_command("restore", str(backup["dump"]), drill=True, stdout=out)
    assert "every table's row count and checksum match the manifest" in out.getvalue()
    assert f"into {database['NAME']}_drill_" in out.getvalue()
    with pgtools.connect(database, dbname="postgres") as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE %s",
            [f"{database['NAME']}_drill_%"],
        ).fetchone()[0]
    assert left == 0
