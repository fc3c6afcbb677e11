"""Load benchmark: the app as production runs it, under load from another
process, on this machine's loopback.

    .venv/bin/python bench/load.py [--lines 1000000] [--users 50] [--seconds 60]
                                   [--think 1-3] [--workers N] [--fresh]

1. A database of its own, ``<your database>_bench_load`` on the same server
   (the embedded PostgreSQL or DATABASE_URL's): migrated, FoodMart loaded
   through the pipeline, sale lines generated up to ``--lines`` as
   bench/reports.py does (through the table, so the triggers keep the
   rollups); kept for the next run (``--fresh`` rebuilds it). The demo
   users get one password for the run.
2. gunicorn with foodmart_site/gunicorn_conf.py and the production
   settings (DEBUG=0, collected static files, WhiteNoise, JSON access log),
   except HTTPS=0: plain HTTP on 127.0.0.1, as behind a TLS proxy.
3. locust (bench/locustfile.py) in another process: ``--users`` people
   logged in through the login form, 3 executives or analysts (report
   pages, drill-downs, the JSON API) to 2 back-office staff (admin lists
   and searches), each waiting ``--think`` seconds between clicks (0: no
   pause, the server's saturation), for ``--seconds``.

Prints requests per second, median and 95th percentile latency and the
error count, overall and per page, and the machine. Target: no errors,
95th percentile under 500 ms on a 2-core machine.
"""

import argparse
import csv
import importlib.util
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def bench_reports():
    """bench/reports.py, whose database set-up and generator this reuses
    (loaded by path: its module name would shadow the reports app)."""
    spec = importlib.util.spec_from_file_location("bench_reports", ROOT / "bench" / "reports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare_database(lines: int, fresh: bool, password: str) -> dict:
    shared = bench_reports()
    shared.setup_django()
    from django.conf import settings
    from django.db import connection

    name = f"{settings.DATABASES['default']['NAME']}_bench_load"
    shared.use_database(name, fresh=fresh)
    shared.populate(lines)
    from people.services import create_demo_users

    create_demo_users(password=password)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sales_saleline")
        count = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    connection.close()
    return {"settings": connection.settings_dict, "lines": count, "server": server}


def database_url(db: dict) -> str:
    auth = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "")
    options = db.get("OPTIONS") or {}
    host = db.get("HOST") or options.get("host") or ""
    port = db.get("PORT") or options.get("port") or ""
    if host.startswith("/"):  # the embedded server's socket directory
        query = f"host={quote(host)}" + (f"&port={port}" if port else "")
        return f"postgresql://{auth}@/{db['NAME']}?{query}"
    return f"postgresql://{auth}@{host}:{port}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(db: dict, port: int, static: Path, workers: int | None) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "foodmart_site.settings",
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(db),
        "STATIC_ROOT": str(static),
        "PORT": str(port),
    }
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    return env


def start_server(env: dict, log: Path) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "foodmart_site/gunicorn_conf.py", "foodmart_site.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{env['PORT']}/healthz"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise TimeoutError("gunicorn did not answer /healthz")


SPAWN_RATE = 5  # users a second


def ramp_up(users: int) -> int:
    return -(-users // SPAWN_RATE)


def run_locust(url: str, args, password: str, out: Path) -> int:
    low, _, high = args.think.partition("-")
    env = {
        **os.environ,
        "LOAD_PASSWORD": password,
        "LOAD_THINK": f"{low}-{high or low}",
    }
    command = [
        str(BIN / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        # Everyone logs in during the ramp-up (a burst of password hashes);
        # the figures are reset after it and cover the --seconds that follow.
        "--spawn-rate",
        str(SPAWN_RATE),
        "--reset-stats",
        "--run-time",
        f"{args.seconds + ramp_up(args.users)}s",
        "--stop-timeout",
        "10",
        "--host",
        url,
        "--csv",
        str(out / "locust"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    with (out / "locust.log").open("w") as log:
        return subprocess.run(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        ).returncode


def read_stats(out: Path) -> list[dict]:
    with (out / "locust_stats.csv").open() as f:
        return list(csv.DictReader(f))


def report(rows: list[dict], args, db: dict) -> str:
    lines = [
        f"{'page':58} {'requests':>8} {'errors':>6} {'median':>7} {'p95':>7} {'rps':>6}",
    ]
    total = None
    for row in rows:
        if row["Name"] == "Aggregated":
            total = row
            continue
        lines.append(
            f"{row['Type'] + ' ' + row['Name']:58.58} {row['Request Count']:>8} "
            f"{row['Failure Count']:>6} {row['50%']:>5}ms {row['95%']:>5}ms "
            f"{float(row['Requests/s']):6.1f}"
        )
    lines.append("")
    lines.append(
        f"ALL: {float(total['Requests/s']):.1f} requests/s, median {total['50%']} ms, "
        f"95th percentile {total['95%']} ms, {total['Failure Count']} errors "
        f"of {total['Request Count']} requests"
    )
    lines.append(
        f"{args.users} users (logged in during a {ramp_up(args.users)} s ramp-up, not counted), "
        f"think {args.think} s, {args.seconds} s; "
        f"{db['lines']:,} sale lines; PostgreSQL {db['server']}; "
        f"{os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}"
    )
    after = os.getloadavg()[0]
    lines.append(
        f"load average before the run {args.load_before:.1f}, after {after:.1f} "
        "(other work on the machine competes for the same cores)"
    )
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--think", default="1-3", help="seconds between clicks: 1-3, 0")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default 2 per core + 1)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the bench database")
    args = parser.parse_args()
    args.load_before = os.getloadavg()[0]
    password = secrets.token_urlsafe(12)
    db = prepare_database(args.lines, args.fresh, password)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        out = Path(tmp)
        port = free_port()
        env = server_env(db["settings"], port, out / "static", args.workers)
        server = start_server(env, out / "server.log")
        try:
            code = run_locust(f"http://127.0.0.1:{port}", args, password, out)
        finally:
            server.terminate()
            server.wait(30)
        print()
        print(report(read_stats(out), args, db))
        errors = out / "locust_failures.csv"
        if errors.exists() and len(errors.read_text().splitlines()) > 1:
            print("\nerrors:\n" + errors.read_text())
        if code != 0:
            print("\nlocust's log:\n" + (out / "locust.log").read_text()[-3000:])
    return code


if __name__ == "__main__":
    sys.exit(main())
