"""Builds the application once: settings -> storage, services, Bot and Dispatcher.

Handlers get their dependencies by name from the Dispatcher's workflow data
(`settings`, `refunds`, `users`, `kb`, `detector`); nothing is imported as a global.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import ConfigError, Settings
from bot.llm import build_gateway
from bot.policy_files import Policy, PolicyError, load_policy
from bot.services.groups import GroupService
from bot.services.inbox import InboxService
from bot.services.privacy import PrivacyService
from bot.services.questions import QuestionLog
from bot.services.refunds import RefundService
from bot.services.support import SupportService
from bot.services.users import UserService
from bot.storage.db import create_engine, migrate, session_factory
from bot.telegram.fraud import ScanPictures
from bot.telegram.fsm import ScopedStorage, SQLStorage
from bot.telegram.handlers import build_router
from bot.telegram.llm_turn import LLMTurn
from bot.telegram.middlewares import Language, ScanPrivateMessages, Throttle
from bot.telegram.routing import gate_routers, run_filters_inline

if TYPE_CHECKING:  # Redis is imported only when REDIS_URL is set
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    policy: Policy
    refunds: RefundService
    users: UserService
    groups: GroupService
    questions: QuestionLog
    support: SupportService
    inbox: InboxService
    privacy: PrivacyService
    kb: Any = None
    detector: Any = None
    images: Any = None
    redis: Redis | None = None
    llm: Any = None  # the model gateway (bot.llm), None without LLM_BASE_URL
    extra: dict[str, Any] = field(default_factory=dict)

    def warm(self) -> None:
        """Load what the first question, the first scan and the first picture would load
        (blocking: a thread may do it)."""
        self.kb.ask("退款多久到账", lang="zh")
        self.detector.scan_text("http://example.com 验证码")
        if isinstance(self.images, DeferredScanner):
            self.images.warm()

    async def close(self) -> None:
        if self.images is not None:
            self.images.close()
        if self.redis is not None:
            await self.redis.aclose()
        if self.llm is not None:
            await self.llm.aclose()
        await self.engine.dispose()


def load_policy_setting(settings: Settings) -> Policy:
    try:
        return load_policy(settings.policy_file)
    except PolicyError as exc:
        raise ConfigError(f"invalid setting POLICY_FILE: {exc}") from None
    except OSError as exc:
        raise ConfigError(
            f"invalid setting POLICY_FILE: cannot read {settings.policy_file} ({exc.strerror})"
        ) from None


def load_knowledge(settings: Settings) -> Any:
    from bot.knowledge import KnowledgeBase

    if not settings.knowledge_dir.is_dir():
        raise ConfigError(
            f"invalid setting KNOWLEDGE_DIR: {settings.knowledge_dir} is not a folder"
        )
    try:
        kb = KnowledgeBase.load(
            settings.knowledge_dir,
            embeddings=settings.knowledge_embeddings,
            cache_dir=settings.knowledge_cache_dir,
        )
    except ImportError as exc:
        raise ConfigError(
            f"invalid setting KNOWLEDGE_EMBEDDINGS: the embeddings extra is not installed ({exc.name})"
        ) from None
    if not kb.section_ids():
        raise ConfigError(
            f"invalid setting KNOWLEDGE_DIR: {settings.knowledge_dir} holds no texts (.md or .txt)"
        )
    return kb


def load_detector(settings: Settings) -> Any:
    from bot.services.scam import build_detector

    return build_detector(
        allow_domains=settings.fraud_allow_domains, platform_domains=settings.platform_domains
    )


def images_installed() -> bool:
    """Whether the picture packages are installed, without importing them (OpenCV, ONNX
    Runtime and RapidOCR take a third of a second to import)."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("cv2", "rapidocr_onnxruntime", "zxingcpp")
    )


class DeferredScanner:
    """The picture checker, built on its first use or by `warm()` (the console warms it in
    the background once it shows its first prompt; `refund-bot run` at start)."""

    def __init__(self, build: Callable[[], Any], *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._build = build
        self._scanner: Any = None
        self._lock = threading.Lock()

    def warm(self) -> Any:
        with self._lock:
            if self._scanner is None:
                self._scanner = self._build()
            return self._scanner

    @property
    def built(self) -> bool:
        return self._scanner is not None

    async def scan(self, data: bytes, caption: Any = None) -> Any:
        scanner = self._scanner or await asyncio.to_thread(self.warm)
        return await scanner.scan(data, caption)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.warm(), name)

    def close(self) -> None:
        if self._scanner is not None:
            self._scanner.close()


def load_image_scanner(settings: Settings, detector: Any) -> Any:
    """The picture checker (QR codes, OCR), or None when FRAUD_IMAGES is off or the
    `images` extra is not installed (then pictures are not checked, and the log says so)."""
    if not settings.fraud_images:
        return None
    if not images_installed():
        log.warning(
            "FRAUD_IMAGES is on but the images extra is not installed: pictures are not checked"
        )
        return None
    max_bytes = settings.fraud_image_max_mb * 1024 * 1024

    def build() -> Any:
        from bot.imagescan import ImageScanner

        return ImageScanner(detector, max_bytes=max_bytes, workers=settings.fraud_image_workers)

    return DeferredScanner(build, max_bytes=max_bytes)


async def create_services(settings: Settings, *, warm: bool = True) -> Services:
    """Everything the handlers use. With `warm`, what loads on first use (the dictionaries
    of the first question and the first scan, the picture checker) is loaded now, not while
    the first buyer waits; without it, call `Services.warm()` later (in a thread)."""
    policy = load_policy_setting(settings)
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
    except Exception as exc:
        await engine.dispose()
        raise ConfigError(
            f"invalid setting DATABASE_URL: cannot open the database ({type(exc).__name__}: {exc})".splitlines()[
                0
            ]
        ) from None
    sessions = session_factory(engine)
    redis: Redis | None = None
    if settings.redis_url:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
    users = UserService(sessions=sessions, redis=redis)
    support = SupportService(
        sessions=sessions,
        policy=policy,
        chat_id=settings.support_chat_id,
        staff_lang=settings.default_language,
        max_attempts=settings.support_outbox_attempts,
        tz_name=settings.timezone,
        replies_file=settings.knowledge_dir / "support_replies.yaml",
        ban_changed=users.moved_on,
    )
    try:
        support.check_replies()
    except (ValueError, OSError, yaml.YAMLError) as exc:
        await engine.dispose()
        raise ConfigError(f"invalid setting KNOWLEDGE_DIR: {exc}".splitlines()[0]) from None
    kb, detector = load_knowledge(settings), load_detector(settings)
    inbox = InboxService(engine)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        policy=policy,
        refunds=RefundService(policy=policy, sessions=sessions, hooks=support),
        users=users,
        groups=GroupService(sessions=sessions, delete_by_default=settings.group_delete_scams),
        questions=QuestionLog(sessions=sessions),
        support=support,
        inbox=inbox,
        privacy=PrivacyService(engine, inbox),
        kb=kb,
        detector=detector,
        images=load_image_scanner(settings, detector),
        redis=redis,
        llm=build_gateway(settings),
    )
    if warm:
        services.warm()
    return services


def create_bot(
    settings: Settings, *, session: BaseSession | None = None, token: str | None = None
) -> Bot:
    if session is None:
        timeout = settings.telegram_timeout_seconds
        if settings.telegram_api_url is not None:
            session = AiohttpSession(
                api=TelegramAPIServer.from_base(str(settings.telegram_api_url).rstrip("/")),
                timeout=timeout,
            )
        else:
            session = AiohttpSession(timeout=timeout)
    value = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not value:
        raise ConfigError("invalid setting BOT_TOKEN: missing")
    return Bot(
        token=value, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )


def create_dispatcher(
    services: Services, *, observers: Sequence[Callable[..., Any]] = ()
) -> Dispatcher:
    """`observers` are outermost update middlewares (metrics, or a test watching updates)."""
    storage: BaseStorage
    isolation: BaseEventIsolation
    if services.redis is not None:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        storage = RedisStorage(services.redis, key_builder=DefaultKeyBuilder(with_destiny=True))
        isolation = RedisEventIsolation(services.redis)
    else:
        storage = SQLStorage(services.engine)
        isolation = SimpleEventIsolation()
    dp = Dispatcher(
        # an update's state writes are committed with its inbox row (see bot.telegram.inbox)
        storage=ScopedStorage(storage),
        events_isolation=isolation,
        settings=services.settings,
        policy=services.policy,
        refunds=services.refunds,
        users=services.users,
        groups=services.groups,
        questions=services.questions,
        support=services.support,
        privacy=services.privacy,
        kb=services.kb,
        detector=services.detector,
        image_scanner=services.images,
        gateway=services.llm,
        services=services,
    )
    for observer in observers:
        dp.update.outer_middleware(observer)
    dp.update.outer_middleware(LLMTurn(services.llm))
    language = Language(services.users, services.settings.default_language)
    throttle = Throttle(
        services.settings.rate_limit, services.settings.rate_window_seconds, services.redis
    )
    dp["throttle"] = throttle  # the inbox counts the flood limit with the chat's lock
    for events in (dp.message, dp.callback_query):
        events.outer_middleware(language)
        events.outer_middleware(throttle)
    dp.message.outer_middleware(ScanPrivateMessages())
    dp.message.outer_middleware(ScanPictures())
    dp.include_router(build_router(services.settings))
    run_filters_inline(dp)  # F and State filters: no worker thread per check
    gate_routers(dp)  # a router no handler under it could match is skipped in one check
    return dp
