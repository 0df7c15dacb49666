"""Where the project's data folders are: `knowledge/` (policy and help texts) and `prompts/`.

In a checkout (and in the container image) they sit beside the `bot` package. An installed
copy looks in `REFUND_BOT_HOME`, then the working directory. POLICY_FILE and KNOWLEDGE_DIR
override this for the bot itself.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_PARENT = Path(__file__).resolve().parents[1]


def project_dir(name: str) -> Path:
    candidates = []
    if home := os.environ.get("REFUND_BOT_HOME"):
        candidates.append(Path(home) / name)
    candidates += [PACKAGE_PARENT / name, Path.cwd() / name]
    return next((path for path in candidates if path.is_dir()), candidates[0])
