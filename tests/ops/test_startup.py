"""Start-up stays light: what the console needs before its first prompt does not import the
picture stack or the language-model stack (together about 1.5 s of CPU); they load on
first use or in the background after the prompt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.app import DeferredScanner, create_services
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "cv2",
    "onnxruntime",
    "rapidocr_onnxruntime",
    "langchain_core",
    "langchain_openai",
    "openai",
)

PROBE = """
import asyncio, json, sys
from bot.commands import console
from bot.app import create_dispatcher, create_services
from bot.config import load_settings

async def main():
    services = await create_services(load_settings(), warm=False)
    create_dispatcher(services)
    await services.close()

asyncio.run(main())
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_console_builds_its_bot_without_the_heavy_stacks(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert {"aiogram", "sqlalchemy"} <= loaded  # the probe did build the bot
    assert [name for name in HEAVY if name in loaded] == []


async def test_the_picture_checker_is_built_on_warm_up_and_scans(make_settings: object) -> None:
    settings: Settings = make_settings()  # type: ignore[operator]
    services = await create_services(settings, warm=False)
    try:
        images = services.images
        assert isinstance(images, DeferredScanner)
        assert not images.built
        assert images.max_bytes == settings.fraud_image_max_mb * 1024 * 1024  # without building
        services.warm()
        assert images.built
        result = await images.scan((ROOT / "tests" / "data" / "evidence.png").read_bytes())
        assert result.skipped is None and result.verdict.risk.value == "none"
    finally:
        await services.close()
