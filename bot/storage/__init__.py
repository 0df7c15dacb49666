"""Storage: SQLModel tables, repositories and migrations."""

from bot.storage import models, support_models  # noqa: F401  (registers every table)
from bot.web import models as web_models  # noqa: F401  (the web console's tables)
