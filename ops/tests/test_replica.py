"""A real streaming replica: the test makes its own primary (initdb) and
replica (pg_basebackup) in a temporary folder on free loopback ports, so
it runs the same whatever PostgreSQL the rest of the suite uses. The app
migrates and loads FoodMart on the primary; report queries and pages are
then served by the replica with the same figures as the test database,
and by the primary once the replica is stopped."""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings

from ops import pgtools
from ops.tests.replica_scenario import QUERY
from reports import cubes

pytestmark = pytest.mark.slow


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_user() -> str | None:
    """PostgreSQL's server refuses to run as root: as root, run it as the
    postgres user (Debian's packages) or pgserver (the embedded one's)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "pgserver"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.skip("running as root with no postgres user to run PostgreSQL as")


def as_postgres(command: list) -> list:
    user = server_user()
    return ["runuser", "-u", user, "--", *command] if user else command


class Cluster:
    def __init__(self, root: Path, name: str, bin_dir: Path):
        self.data = root / name
        self.root = root
        self.bin = bin_dir
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/foodmart"

    def run(self, program: str, *args) -> str:
        command = as_postgres([str(self.bin / program), *map(str, args)])
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{program}: {done.stderr}"
        return done.stdout

    def configure(self, **options) -> None:
        lines = [f"{k} = '{v}'" for k, v in options.items()]
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(lines) + "\n")

    def start(self) -> None:
        log = self.root / f"{self.data.name}.log"
        self.run("pg_ctl", "-D", self.data, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def stop_command(self) -> list:
        return as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"])

    def sql(self, query: str, dbname: str = "postgres") -> str:
        return self.run(
            "psql", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "-d", dbname,
            "-Atc", query,
        ).strip()  # fmt: skip


def postgres_bin() -> Path:
    """initdb and friends: PG_BIN_DIR, Debian's (the system's PostgreSQL
    15), or the embedded server's own."""
    try:
        return pgtools.find_tool("initdb", 0).path.parent
    except pgtools.ToolNotFound:
        pytest.skip("no initdb: PostgreSQL's server programs are not installed")


@pytest.fixture(scope="module")
def clusters():
    root = Path(tempfile.mkdtemp(prefix="foodmart-replica-"))
    if server_user():
        shutil.chown(root, user=server_user())
    bin_dir = postgres_bin()
    primary, replica = Cluster(root, "primary", bin_dir), Cluster(root, "replica", bin_dir)
    try:
        primary.run("initdb", "-D", primary.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        primary.configure(
            port=primary.port,
            listen_addresses="127.0.0.1",
            unix_socket_directories=root,
            wal_level="replica",
            fsync="off",
            synchronous_commit="off",
            full_page_writes="off",
            max_wal_size="2GB",
        )
        primary.start()
        primary.sql("CREATE DATABASE foodmart")
        # The replica: a base backup that streams the WAL from then on (-R
        # writes standby.signal and primary_conninfo).
        primary.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres",
            "-D", replica.data, "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        replica.configure(port=replica.port, hot_standby="on")
        replica.start()
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            if (cluster.data / "postmaster.pid").exists():
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def manage(*args, env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "foodmart_site.settings", **env},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def wait_for_replay(primary: Cluster, replica: Cluster, timeout: float = 60) -> float:
    """Seconds until the replica has replayed the primary's WAL as of now."""
    started = time.monotonic()
    lsn = primary.sql("SELECT pg_current_wal_lsn()")
    while time.monotonic() - started < timeout:
        if replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") == "t":
            return time.monotonic() - started
        time.sleep(0.1)
    raise TimeoutError(f"the replica did not replay up to {lsn} in {timeout} s")


@pytest.fixture(scope="module")
def loaded(clusters):
    primary, replica = clusters
    env = {"DATABASE_URL": primary.url}
    manage("migrate", "--noinput", env=env)
    manage("load_foodmart", env=env)
    wait_for_replay(primary, replica)
    return primary, replica


def test_the_replica_streams_from_the_primary(loaded):
    primary, replica = loaded
    assert primary.sql("SELECT state FROM pg_stat_replication") == "streaming"
    assert replica.sql("SELECT pg_is_in_recovery()") == "t"
    count = "SELECT count(*) FROM sales_saleline"
    assert replica.sql(count, "foodmart") == primary.sql(count, "foodmart") != "0"


@pytest.fixture(scope="module")
def scenario(loaded):
    primary, replica = loaded
    done = subprocess.run(
        [sys.executable, "-m", "ops.tests.replica_scenario", json.dumps(replica.stop_command())],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "foodmart_site.settings",
            "DATABASE_URL": primary.url,
            "DATABASE_REPLICA_URL": replica.url,
            "REPLICA_RETRY_SECONDS": "60",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def expected_rows(django_db_setup, django_db_blocker):
    """The same report on the session's test database (FoodMart loaded the
    same way)."""
    with django_db_blocker.unblock():
        rows = cubes.run_query(QUERY, all_stores=True).rows
    return json.loads(json.dumps(rows, default=str))


def report_statements(statements: list[str]) -> list[str]:
    """Statements other than read_alias()'s WAL positions."""
    return [s for s in statements if "wal" not in s]


def test_reports_read_from_the_replica_and_agree_with_the_test_database(
    scenario, loaded, expected_rows
):
    primary, replica = loaded
    up = scenario["up"]
    assert up["read_alias"] == up["cubes_read_alias"] == "replica"
    assert up["served_by"] == {"port": replica.port, "in_recovery": True}
    # The report's statement ran on the replica; the primary only told
    # read_alias() its WAL position.
    assert len(report_statements(up["query_sql"]["replica"])) == 1
    assert report_statements(up["query_sql"]["default"]) == []
    assert up["rows"] == expected_rows
    assert len(expected_rows) > 20


def test_the_workbench_reads_from_the_replica_and_waits_for_it(scenario, loaded):
    primary, replica = loaded
    assert scenario["up"]["workbench"] == {"port": replica.port, "in_recovery": True}
    # Analysts' SQL stays off the primary: with the replica down it fails.
    assert scenario["down"]["workbench"] == "OperationalError"


def test_report_pages_are_served_from_the_replica(scenario):
    up = scenario["up"]
    assert up["api_status"] == 200
    assert len(report_statements(up["api_sql"]["replica"])) == 1
    assert set(up["pages"].values()) == {200}, up["pages"]


def test_reports_fall_back_to_the_primary_when_the_replica_stops(scenario, expected_rows):
    down = scenario["down"]
    assert down["read_alias"] == down["cubes_read_alias"] == "default"
    assert down["served_by"]["in_recovery"] is False
    assert len(report_statements(down["query_sql"]["default"])) == 1
    assert down["query_sql"]["replica"] == []
    assert down["rows"] == expected_rows
    assert down["api_status"] == 200 and down["api"] == scenario["up"]["api"]
    assert set(down["pages"].values()) == {200}, down["pages"]
