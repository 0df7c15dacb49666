"""What can be checked of the image and the compose file without a container runtime: the
compose file's references (services, settings, health checks, the proxy's upstreams), the
Dockerfile's shape, `make`'s install stamp, and the image's install steps resolving in a
fresh virtual environment."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {name.upper() for name in Settings.model_fields}
BOTS = ("bot-1", "bot-2")


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def dockerfile_stages() -> list[list[str]]:
    """Instructions (continuation lines joined) per stage."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def proxy_config() -> str:
    return (ROOT / "deploy" / "nginx" / "templates" / "refund-bot.conf.template").read_text()


# --- docker-compose.yml ----------------------------------------------------------------------


def test_compose_runs_postgres_redis_two_instances_and_a_proxy() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", *BOTS, "proxy"} <= set(services)
    for name, service in services.items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown service {target}"
            if rule.get("condition") == "service_healthy":
                check = services[target].get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), (
                    f"{name} waits for {target} to be healthy, which has no health check"
                )
        assert "image" in service or "build" in service, name


def test_both_instances_run_the_webhook_with_one_shared_secret() -> None:
    services = compose()["services"]
    environments = [services[name]["environment"] for name in BOTS]
    for env in environments:
        unknown = set(env) - SETTINGS
        assert not unknown, f"not settings of the bot: {unknown}"
        assert env["WEBHOOK_URL"].startswith("https://")
        assert env["WEBHOOK_SECRET"].startswith("${WEBHOOK_SECRET:?")  # required, no default
        assert "@postgres:" in env["DATABASE_URL"] and env["REDIS_URL"].startswith("redis://redis:")
        assert env["METRICS_PORT"] != env["WEBHOOK_PORT"]
    assert environments[0] == environments[1]  # the same URL, secret, database and Redis
    for name in BOTS:
        service = services[name]
        assert service.get("command", ["run"]) == ["run"]
        test = " ".join(service["healthcheck"]["test"])
        assert f":{service['environment']['METRICS_PORT']}/healthz" in test
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        grace = int(str(service["stop_grace_period"]).rstrip("s"))
        assert grace > float(service["environment"]["SHUTDOWN_TIMEOUT"])
    assert services["migrate"]["command"] == ["db", "upgrade"]


def test_the_proxy_forwards_the_webhook_path_to_both_instances() -> None:
    services = compose()["services"]
    proxy = services["proxy"]
    config = proxy_config()
    upstreams = dict(re.findall(r"upstream\s+(\w+)\s*\{([^}]*)\}", config))
    targets = {
        name: re.findall(r"^\s*server\s+([\w.-]+):(\d+)", body, re.M)
        for name, body in upstreams.items()
    }
    passes = re.findall(r"proxy_pass\s+http://([\w.-]+)\s*;", config)
    assert passes and all(name in upstreams for name in passes), (passes, list(upstreams))
    servers = {host: port for name in passes for host, port in targets[name]}
    assert set(servers) == set(BOTS)
    for host, port in servers.items():
        assert port == services[host]["environment"]["WEBHOOK_PORT"]
    # the webhook location is the instances' WEBHOOK_PATH, filled in from the proxy's env
    assert re.search(r"location\s*=\s*\$\{WEBHOOK_PATH\}\s*\{", config)
    assert proxy["environment"]["WEBHOOK_PATH"] == services["bot-1"]["environment"]["WEBHOOK_PATH"]
    assert "${WEBHOOK_DOMAIN}" in config and "WEBHOOK_DOMAIN" in proxy["environment"]
    assert "http_503" in config  # a stopping instance's 503 goes to the other one
    mounted = [volume.split(":")[0] for volume in proxy["volumes"]]
    assert "./deploy/nginx/templates" in mounted
    for path in mounted:
        if path.startswith("./"):
            assert (ROOT / path).is_dir(), path
    health = re.search(r"listen\s+127\.0\.0\.1:(\d+);\s*location\s*=\s*(/\S+)", config)
    assert health is not None
    assert f":{health.group(1)}{health.group(2)}" in " ".join(proxy["healthcheck"]["test"])


def test_every_variable_compose_reads_is_in_env_example() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    assert used >= {"WEBHOOK_SECRET", "WEBHOOK_DOMAIN", "POSTGRES_PASSWORD"}
    assert [name for name in sorted(used) if f"# {name}=" not in example] == []


# --- Dockerfile ----------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_non_root_with_a_health_check() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    final = stages[-1]
    users = [line.split(None, 1)[1] for line in final if line.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), users
    checks = [line for line in final if line.upper().startswith("HEALTHCHECK ")]
    assert len(checks) == 1 and "/healthz" in checks[0] and "METRICS_PORT" in checks[0]
    assert any(re.search(r"\bMETRICS_PORT=\d+", line) for line in final if line.startswith("ENV"))
    assert any(line.startswith("COPY --from=build /opt/venv") for line in final)
    assert not any("pip install" in line for line in final)  # nothing installed at run time


def install_line() -> str:
    runs = [line for line in dockerfile_stages()[0] if line.startswith("RUN ")]
    installs = [line for line in runs if "make install" in line or "pip" in line]
    assert len(installs) == 1, installs
    return installs[0]


def test_the_image_installs_with_the_readme_s_make_install() -> None:
    line = install_line()
    assert "make install VENV=/opt/venv" in line and "pip" not in line
    copied = " ".join(line for line in dockerfile_stages()[0] if line.startswith("COPY "))
    assert "Makefile" in copied and "pyproject.toml" in copied


# --- make: the install stamp ---------------------------------------------------------------


def make_dry_run(folder: Path, target: str) -> list[str]:
    # run as its own make, not as a sub-make of `make test` (which would add "Entering
    # directory" lines and pass its own flags on)
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, "VENV=venv"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_a_repeated_make_run_does_not_reinstall(tmp_path: Path) -> None:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").write_text("#!/bin/sh\n")
    first = make_dry_run(tmp_path, "run")
    assert any("pip install" in line and '-e ".[images]"' in line for line in first), first
    assert any("--no-deps" in line and "rapidocr-onnxruntime==" in line for line in first)
    (tmp_path / "venv" / ".installed").touch()  # what the install's last step does
    again = make_dry_run(tmp_path, "run")
    assert again == ["venv/bin/refund-bot"]  # nothing installed again
    stamp = (tmp_path / "venv" / ".installed").stat().st_mtime
    os.utime(tmp_path / "pyproject.toml", (stamp + 10, stamp + 10))  # the dependencies changed
    assert any("pip install" in line for line in make_dry_run(tmp_path, "run"))
    (tmp_path / "venv" / ".installed").touch()
    os.utime(tmp_path / "venv" / ".installed", (stamp + 20, stamp + 20))
    assert not any("pip install" in line for line in make_dry_run(tmp_path, "run"))
    # `make test` installs the test extras once, and then `make run` needs nothing either
    tests = make_dry_run(tmp_path, "test")
    assert any('-e ".[test,images]"' in line for line in tests)


# --- the image's install steps, in a fresh virtual environment --------------------------------


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_image_install_steps_resolve_in_a_fresh_venv(tmp_path: Path) -> None:
    """`make install` as the Dockerfile runs it, each pip step with --dry-run (resolution and
    the package's own metadata build, from the pip cache or the index; no download of the
    wheels into the environment): the dependencies resolve from an empty environment, the
    OCR package comes alone (--no-deps: no GUI OpenCV), and the extras the image asks for
    exist. A real install would repeat what `make test` already does with the same
    commands on every CI run, at several minutes more."""
    line = install_line()
    extras = re.search(r'EXTRAS="?\$\{EXTRAS\}"?', line)
    assert extras is not None
    default = re.search(r"ARG EXTRAS=(\S+)", "\n".join(dockerfile_stages()[0]))
    assert default is not None
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    steps = subprocess.run(
        ["make", "-n", "install", f"VENV={venv}", f"EXTRAS={default.group(1)}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    pip_steps = [
        step for step in steps if " -m pip install " in step and "--upgrade pip" not in step
    ]
    assert len(pip_steps) == 2, steps
    reports = []
    for index, step in enumerate(pip_steps):
        report = tmp_path / f"report-{index}.json"
        command = f"{step} --dry-run --ignore-installed --report {report}"
        result = subprocess.run(
            command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=900
        )
        assert result.returncode == 0, result.stderr[-3000:]
        reports.append(json.loads(report.read_text()))
    names = [
        {item["metadata"]["name"].lower().replace("_", "-") for item in report["install"]}
        for report in reports
    ]
    assert {"refund-bot", "aiogram", "prometheus-client", "opencv-python-headless"} <= names[0]
    assert "opencv-python" not in names[0]
    assert names[1] == {"rapidocr-onnxruntime"}  # alone: its GUI OpenCV is not pulled in
