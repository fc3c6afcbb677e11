"""The Dockerfile and compose.yaml, as far as this machine can test them
without a container engine: they parse, name files and commands that
exist, and the settings and commands they run work here."""

import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

BASE = settings.BASE_DIR
DOCKERFILE = (BASE / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((BASE / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "worker", "app", "backup"]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def image_env() -> dict[str, str]:
    env = {}
    for name, args in instructions(DOCKERFILE):
        if name == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                if "$" not in value:
                    env[key] = value
    return env


def interpolate(value: str, variables: dict) -> str:
    """compose's ${VAR}, ${VAR:-default} and ${VAR:?error}."""

    def one(match):
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if variables.get(name):
            return variables[name]
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg or ""

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, value)


SAMPLE = {
    "SECRET_KEY": "a-long-random-string-from-a-secret-store-0123456789-abcdef",
    "POSTGRES_PASSWORD": "secret",
    "ALLOWED_HOSTS": "foodmart.example.com",
}


def service_env(service: str, variables=SAMPLE) -> dict[str, str]:
    raw = SERVICES[service]["environment"]
    return {k: interpolate(str(v), variables) for k, v in raw.items()}


def test_compose_runs_the_app_services_on_one_image_after_the_database():
    assert SERVICES["db"]["image"].startswith("postgres:18")
    for name in APP_SERVICES:
        assert SERVICES[name]["build"]["context"] == "."
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    declared = set(COMPOSE["volumes"])
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in declared
    # web and worker share the uploads that big imports hand over.
    assert "uploads:/app/var/uploads" in SERVICES["web"]["volumes"]
    assert SERVICES["worker"]["volumes"] == SERVICES["web"]["volumes"]


def test_compose_commands_exist():
    commands = get_commands()
    for name in APP_SERVICES:
        command = SERVICES[name].get("command")
        if command:
            assert command[:2] == ["python", "manage.py"]
            assert command[2] in commands, command


def test_compose_refuses_to_start_without_its_secrets():
    with pytest.raises(KeyError, match="SECRET_KEY"):
        service_env("web", {"POSTGRES_PASSWORD": "x"})
    with pytest.raises(KeyError, match="POSTGRES_PASSWORD"):
        service_env("web", {"SECRET_KEY": "x"})


def test_every_variable_compose_sets_is_explained_in_env_example():
    example = (BASE / ".env.example").read_text()
    for name in SERVICES["backup"]["environment"]:
        assert re.search(rf"^{name}=", example, re.M), name


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_image_with_compose_environment_passes_check_deploy():
    env = {**image_env(), **service_env("web")}
    assert env["DEBUG"] == "0" and env["HTTPS"] == "1"
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_dockerfile_collectstatic_step_runs(tmp_path):
    [step] = [a for n, a in instructions(DOCKERFILE) if n == "RUN" and "collectstatic" in a]
    words = shlex.split(step.split("&&")[0])
    assignments = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
    command = [w for w in words if not re.match(r"^[A-Z_]+=", w)]
    assert command[:3] == ["python", "manage.py", "collectstatic"]
    env = {**image_env(), **assignments, "STATIC_ROOT": str(tmp_path)}
    result = run_manage(*command[2:], env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").exists()


def test_the_dockerfile_names_files_that_exist():
    steps = instructions(DOCKERFILE)
    copies = [a.split() for n, a in steps if n == "COPY" and "--from" not in a]
    for args in copies:
        for source in args[:-1]:
            assert (BASE / source).exists(), source
    [cmd] = [a for n, a in steps if n == "CMD"]
    assert (
        "foodmart_site/gunicorn_conf.py" in cmd
        and (BASE / "foodmart_site/gunicorn_conf.py").exists()
    )
    [health] = [a for n, a in steps if n == "HEALTHCHECK"]
    assert "foodmart_site.healthcheck" in health
    assert ("USER", "app") in steps  # not root at run time


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = (BASE / ".dockerignore").read_text().split()
    assert {".venv", ".pgdata", ".env", "var", ".git"} <= set(ignored)
