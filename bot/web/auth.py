"""Signing in to the web console.

* One-time links: the bot hands an operator `BASE/login/TOKEN`; only the SHA-256 of the
  token is stored, it expires after a few minutes and is consumed by a conditional update
  (a second use, even at the same instant, finds nothing).
* Sessions: a random cookie token (hash stored), a CSRF token per session, an expiry.
* The Telegram Login Widget: the HMAC-SHA256 check of the fields Telegram signs with the
  SHA-256 of the bot token (https://core.telegram.org/widgets/login#checking-authorization).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.web.models import WebLogin, WebSession

WIDGET_MAX_AGE = timedelta(days=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_widget(
    fields: Mapping[str, str], *, bot_token: str, now: datetime, max_age: timedelta = WIDGET_MAX_AGE
) -> int | None:
    """The user id of a genuine, recent Telegram Login Widget answer, else None."""
    received = fields.get("hash", "")
    data = {k: v for k, v in fields.items() if k != "hash"}
    if not received or "id" not in data or "auth_date" not in data:
        return None
    check = "\n".join(f"{k}={data[k]}" for k in sorted(data))
    secret = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received.lower()):
        return None
    try:
        signed_at = datetime.fromtimestamp(int(data["auth_date"]), UTC)
        user_id = int(data["id"])
    except (ValueError, OverflowError, OSError):
        return None
    if now - signed_at > max_age or signed_at - now > timedelta(minutes=5):
        return None
    return user_id


@dataclass(frozen=True)
class SignedIn:
    token: str
    csrf: str
    user_id: int
    first_name: str
    lang: str
    expires_at: datetime


class Logins:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime],
        link_ttl: timedelta,
        session_ttl: timedelta,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.link_ttl = link_ttl
        self.session_ttl = session_ttl

    async def create_link(self, *, user_id: int, first_name: str, lang: str) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        async with self.sessions() as session:
            session.add(
                WebLogin(
                    token_hash=digest(token),
                    user_id=user_id,
                    first_name=first_name[:128],
                    lang=lang,
                    created_at=now,
                    expires_at=now + self.link_ttl,
                )
            )
            await session.commit()
        return token

    async def redeem(self, token: str) -> WebLogin | None:
        """The link's row when this call consumed it (unused and not expired), else None."""
        if not token or len(token) > 128:
            return None
        now = self.clock()
        key = digest(token)
        async with self.sessions() as session:
            result = await session.exec(
                sa.update(WebLogin)
                .where(
                    col(WebLogin.token_hash) == key,
                    col(WebLogin.used_at).is_(None),
                    col(WebLogin.expires_at) > now,
                )
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if cast(Any, result).rowcount != 1:
                await session.rollback()
                return None
            await session.commit()
            return await session.get(WebLogin, key)

    async def open_session(self, *, user_id: int, first_name: str, lang: str, via: str) -> SignedIn:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = self.clock()
        expires = now + self.session_ttl
        async with self.sessions() as session:
            session.add(
                WebSession(
                    token_hash=digest(token),
                    user_id=user_id,
                    first_name=first_name[:128],
                    lang=lang,
                    csrf=csrf,
                    via=via,
                    created_at=now,
                    expires_at=expires,
                )
            )
            await session.commit()
        return SignedIn(token, csrf, user_id, first_name, lang, expires)

    async def session(self, token: str | None) -> SignedIn | None:
        if not token or len(token) > 128:
            return None
        async with self.sessions() as session:
            row = await session.get(WebSession, digest(token))
        if row is None or row.revoked_at is not None:
            return None
        expires = _aware(row.expires_at)
        assert expires is not None
        if expires <= self.clock():
            return None
        return SignedIn(token, row.csrf, row.user_id, row.first_name, row.lang, expires)

    async def set_lang(self, token: str, lang: str) -> None:
        async with self.sessions() as session:
            row = await session.get(WebSession, digest(token))
            if row is not None:
                row.lang = lang
                session.add(row)
                await session.commit()

    async def revoke(self, token: str) -> None:
        async with self.sessions() as session:
            await session.exec(
                sa.update(WebSession)
                .where(col(WebSession.token_hash) == digest(token))
                .values(revoked_at=self.clock())
                .execution_options(synchronize_session=False)
            )
            await session.commit()
