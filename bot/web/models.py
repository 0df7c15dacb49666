"""Tables of the web console: one-time sign-in links and sessions.

Only hashes of the secrets are stored (SHA-256 of the random token): a copy of the database
does not let anyone sign in. Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel


class WebLogin(SQLModel, table=True):
    """A one-time sign-in link sent by the bot to an operator (`/web`)."""

    __tablename__ = "web_logins"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False, index=True))
    first_name: str = Field(default="", max_length=128)
    lang: str = Field(default="zh", max_length=8)
    created_at: datetime = Field(sa_column=Column(sa.DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(sa.DateTime(timezone=True), nullable=False))
    used_at: datetime | None = Field(
        default=None, sa_column=Column(sa.DateTime(timezone=True), nullable=True)
    )


class WebSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds the token, the table its hash."""

    __tablename__ = "web_sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(sa_column=Column(sa.BigInteger, nullable=False, index=True))
    first_name: str = Field(default="", max_length=128)
    lang: str = Field(default="zh", max_length=8)
    csrf: str = Field(max_length=64)
    via: str = Field(default="link", max_length=16)  # link, widget
    created_at: datetime = Field(sa_column=Column(sa.DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(sa.DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(sa.DateTime(timezone=True), nullable=True)
    )
