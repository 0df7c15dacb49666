"""The console over HTTP without a browser (httpx on the ASGI app, SQLite, a recording Bot
stand-in): sign-in links, sessions and cookies, CSRF, roles checked on every request, the
actions going through the support service, the queue filters, the numbers, the CSV export,
the policy simulator and replay, and the Login Widget check."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from sqlmodel import select

from bot.config import Settings
from bot.domain.rules import decide
from bot.i18n import Translator
from bot.policy_files import load_policy
from bot.services.scam import flag_evidence
from bot.services.support import Operators, SupportService
from bot.storage import repo
from bot.storage.db import create_engine, migrate, session_factory
from bot.storage.models import Case, CaseEvent, Evidence
from bot.storage.support_models import (
    BuyerBan,
    CaseTimer,
    MessageLink,
    OutboxMessage,
    SupportAudit,
    SupportTopic,
)
from bot.telegram.console import plain
from bot.web import charts, queries
from bot.web.app import COOKIE, _csv_safe, create_app
from bot.web.auth import check_widget, digest
from bot.web.config import WebSettings
from bot.web.context import WebContext
from bot.web.models import WebLogin, WebSession

SUPPORT = -100500
TOKEN = "123456:TEST-TOKEN"
ZH = Translator("zh")
POLICY = Path(__file__).resolve().parents[2] / "knowledge" / "policy.yaml"
PNG = (Path(__file__).resolve().parents[1] / "data" / "evidence.png").read_bytes()


def zh(key: str, **values: Any) -> str:
    return plain(ZH(key, **values))


@dataclass
class Sent:
    chat_id: int
    text: str
    thread: int | None
    message_id: int


@dataclass
class RecordingBot:
    """What the console asks of the Bot API: messages and files."""

    sent: list[Sent] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    fail_to: set[int] = field(default_factory=set)

    async def send_message(
        self, chat_id: int, text: str, message_thread_id: int | None = None, **_: Any
    ) -> Any:
        if chat_id in self.fail_to:
            from aiogram.exceptions import TelegramForbiddenError
            from aiogram.methods import SendMessage

            raise TelegramForbiddenError(
                method=SendMessage(chat_id=chat_id, text=text),
                message="Forbidden: bot was blocked by the user",
            )
        sent = Sent(chat_id, text, message_thread_id, 100 + len(self.sent))
        self.sent.append(sent)
        return sent

    async def get_file(self, file_id: str) -> Any:
        @dataclass
        class File:
            file_path: str
            file_size: int

        return File(f"photos/{file_id}", len(self.files[file_id]))

    async def download_file(self, path: str) -> io.BytesIO:
        return io.BytesIO(self.files[path.removeprefix("photos/")])


@dataclass
class Env:
    ctx: WebContext
    client: httpx.AsyncClient
    bot: RecordingBot
    statuses: dict[int, str]
    settings: Settings
    now: list[datetime]

    async def sign_in(self, user_id: int = 7001, name: str = "小王") -> str:
        """Sign in with a fresh link; returns the session's CSRF token."""
        token = await self.ctx.logins.create_link(user_id=user_id, first_name=name, lang="zh")
        answer = await self.client.post(f"/login/{token}")
        assert answer.status_code == 303, answer.text
        page = await self.client.get("/")
        assert page.status_code == 200
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found
        return found.group(1)

    async def rows(self, model: Any) -> list[Any]:
        async with self.ctx.sessions() as session:
            return list((await session.exec(select(model))).all())


def decision(route: str = "platform_review", refund: str = "98.50") -> dict[str, Any]:
    return {
        "outcome": "full_refund",
        "liable": "merchant",
        "route": route,
        "fee_percent": 0,
        "refund_amount": refund,
        "required_evidence": ["payment_record"],
        "missing_evidence": [],
        "deadlines": {},
        "expected_arrival": None,
        "rule_id": "undelivered-merchant",
        "policy_version": "test",
        "policy_refs": ["undelivered"],
        "explanation": {"zh": "说明", "en": "explanation"},
    }


async def add_case(
    env: Env,
    number: str,
    *,
    cause: str = "out_of_stock",
    route: str = "platform_review",
    status: str = "in_review",
    order: str = "KM20261130000512",
    thread: int | None = 11,
    user_id: int = 1001,
    amount: str = "98.50",
    evidence: list[dict[str, Any]] | None = None,
) -> int:
    async with env.ctx.sessions() as session:
        await repo.upsert_user(session, user_id=user_id, first_name="李雷", username="lilei")
        case, _ = await repo.create_case(
            session,
            number=number,
            draft_key=f"draft-{number}",
            user_id=user_id,
            language="zh",
            order_number=order,
            platform_type="aggregator",
            order_status="paid_undelivered",
            cause=cause,
            cause_text=None,
            payment_channel="alipay",
            amount=Decimal(amount),
            paid_at=env.now[0] - timedelta(hours=2),
            status=status,
            decision=decision(route, amount),
            evidence=evidence or [],
            decided=False,
        )
        assert case.id is not None
        if thread is not None:
            session.add(
                SupportTopic(
                    case_id=case.id,
                    chat_id=SUPPORT,
                    thread_id=thread,
                    user_id=user_id,
                    state="open",
                    opened_at=env.now[0],
                )
            )
            await session.commit()
        return case.id


@pytest.fixture
async def env(make_settings: Callable[..., Settings]) -> AsyncIterator[Env]:
    settings = make_settings(
        bot_token=TOKEN, support_chat_id=SUPPORT, operator_ids="7001", lead_ids="7002"
    )
    engine = create_engine(settings.database_url)
    await migrate(engine)
    sessions = session_factory(engine)
    now = [datetime(2026, 11, 30, 4, 0, tzinfo=UTC)]
    policy = load_policy(POLICY)
    support = SupportService(
        sessions=sessions, policy=policy, chat_id=SUPPORT, clock=lambda: now[0]
    )
    statuses = {7001: "administrator", 7002: "creator", 7003: "member"}

    async def lookup(user_id: int) -> str:
        return statuses.get(user_id, "left")

    operators = Operators(lookup=lookup, operator_ids=[7001], lead_ids=[7002], ttl=0)
    bot = RecordingBot()
    ctx = WebContext(
        settings=settings,
        web=WebSettings(port=8081, _env_file=None),  # type: ignore[call-arg]
        support=support,
        sessions=sessions,
        policy=policy,
        bot=bot,  # type: ignore[arg-type]
        operators_of=lambda: operators,
        workspace_of=lambda: None,
        clock=lambda: now[0],
    )
    app = create_app(ctx)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as client:
        yield Env(ctx, client, bot, statuses, settings, now)
    await engine.dispose()


# --- signing in ---------------------------------------------------------------------------


async def test_a_link_opens_one_session_once_and_only_its_hash_is_stored(env: Env) -> None:
    token = await env.ctx.logins.create_link(user_id=7001, first_name="小王", lang="zh")
    stored = await env.rows(WebLogin)
    assert [row.token_hash for row in stored] == [digest(token)] and token not in str(
        stored[0].model_dump()
    )
    shown = await env.client.get(f"/login/{token}")  # a GET (a link preview) consumes nothing
    assert shown.status_code == 200 and 'id="sign-in"' in shown.text
    first = await env.client.post(f"/login/{token}")
    assert first.status_code == 303 and first.headers["location"] == "/"
    cookie = first.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # served over plain http here
    sessions = await env.rows(WebSession)
    assert len(sessions) == 1 and sessions[0].token_hash != cookie.split("=")[1].split(";")[0]
    env.client.cookies.clear()
    again = await env.client.post(f"/login/{token}")
    assert again.status_code == 403 and zh("web.error.link_invalid") in plain(again.text)
    assert len(await env.rows(WebSession)) == 1


async def test_two_uses_of_a_link_at_the_same_time_open_one_session(env: Env) -> None:
    token = await env.ctx.logins.create_link(user_id=7001, first_name="小王", lang="zh")
    results = await asyncio.gather(*(env.ctx.logins.redeem(token) for _ in range(5)))
    assert sum(1 for r in results if r is not None) == 1


async def test_an_expired_link_and_an_expired_session_are_refused(env: Env) -> None:
    token = await env.ctx.logins.create_link(user_id=7001, first_name="小王", lang="zh")
    env.now[0] += timedelta(minutes=5, seconds=1)
    assert (await env.client.post(f"/login/{token}")).status_code == 403
    await env.sign_in()
    env.now[0] += timedelta(hours=12, seconds=1)
    answer = await env.client.get("/")
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


async def test_cookies_are_secure_when_the_console_is_served_over_https(env: Env) -> None:
    env.ctx.web = WebSettings(base_url="https://support.example.com", _env_file=None)  # type: ignore[call-arg]
    token = await env.ctx.logins.create_link(user_id=7001, first_name="小王", lang="zh")
    answer = await env.client.post(f"/login/{token}")
    assert "Secure" in answer.headers["set-cookie"]


async def test_signing_out_ends_the_session(env: Env) -> None:
    csrf = await env.sign_in()
    assert (await env.client.post("/logout", data={"csrf": csrf})).status_code == 303
    # the old cookie, replayed, opens nothing
    cookie = [s for s in await env.rows(WebSession)][0]
    assert cookie.revoked_at is not None
    assert (await env.client.get("/")).status_code == 303


async def test_an_operator_removed_from_the_group_is_refused_on_the_next_request(env: Env) -> None:
    await env.sign_in()
    env.statuses[7001] = "left"
    answer = await env.client.get("/")
    assert answer.status_code == 403 and zh("web.error.not_operator") in plain(answer.text)
    audit = await env.rows(SupportAudit)
    assert any(a.action == "web_access" and not a.allowed and a.actor_id == 7001 for a in audit)


async def test_a_plain_member_cannot_sign_in_with_a_link(env: Env) -> None:
    token = await env.ctx.logins.create_link(user_id=7003, first_name="路人", lang="zh")
    answer = await env.client.post(f"/login/{token}")
    assert answer.status_code == 403
    assert await env.rows(WebSession) == []


def widget_fields(user_id: int, when: datetime, token: str = TOKEN) -> dict[str, str]:
    fields = {"id": str(user_id), "first_name": "小王", "auth_date": str(int(when.timestamp()))}
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hashlib.sha256(token.encode()).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return fields


def test_the_login_widget_check_accepts_only_a_recent_answer_signed_with_the_token() -> None:
    now = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    good = widget_fields(7001, now - timedelta(minutes=1))
    assert check_widget(good, bot_token=TOKEN, now=now) == 7001
    assert check_widget({**good, "id": "7002"}, bot_token=TOKEN, now=now) is None  # tampered
    other = widget_fields(7001, now, token="654321:OTHER-TOKEN")
    assert check_widget(other, bot_token=TOKEN, now=now) is None  # another bot's signature
    old = widget_fields(7001, now - timedelta(days=2))
    assert check_widget(old, bot_token=TOKEN, now=now) is None
    assert (
        check_widget({k: v for k, v in good.items() if k != "hash"}, bot_token=TOKEN, now=now)
        is None
    )


async def test_the_widget_route_opens_a_session_for_an_operator_only(env: Env) -> None:
    answer = await env.client.get("/login/telegram", params=widget_fields(7001, env.now[0]))
    assert answer.status_code == 303 and COOKIE in answer.headers["set-cookie"]
    env.client.cookies.clear()
    member = await env.client.get("/login/telegram", params=widget_fields(7003, env.now[0]))
    assert member.status_code == 403


# --- CSRF and the actions -------------------------------------------------------------------


async def test_every_form_needs_the_session_csrf_token(env: Env) -> None:
    case_id = await add_case(env, "RF-20261130-H001")
    csrf = await env.sign_in()
    for path, data in (
        (f"/case/{case_id}/act", {"action": "take"}),
        (f"/case/{case_id}/reply", {"text": "您好"}),
        (f"/case/{case_id}/note", {"text": "内部"}),
        ("/lang", {"lang": "en"}),
        ("/logout", {}),
    ):
        missing = await env.client.post(path, data=data)
        forged = await env.client.post(path, data={**data, "csrf": csrf[:-2] + "xx"})
        assert missing.status_code == 403 and forged.status_code == 403, path
    assert env.bot.sent == []
    topic = (await env.rows(SupportTopic))[0]
    assert topic.assignee_id is None
    audit = await env.rows(SupportAudit)
    assert sum(1 for a in audit if a.action == "web_csrf") == 10


async def test_actions_go_through_the_support_service_with_outbox_and_audit(env: Env) -> None:
    case_id = await add_case(env, "RF-20261130-H002")
    csrf = await env.sign_in()
    taken = await env.client.post(f"/case/{case_id}/act", data={"csrf": csrf, "action": "take"})
    assert taken.status_code == 303
    no_reason = await env.client.post(
        f"/case/{case_id}/act", data={"csrf": csrf, "action": "reject"}
    )
    assert no_reason.status_code == 409  # a rejection needs its reason
    env.now[0] += timedelta(seconds=1)
    rejected = await env.client.post(
        f"/case/{case_id}/act", data={"csrf": csrf, "action": "reject", "detail": "订单已发货"}
    )
    assert rejected.status_code == 303
    case = (await env.rows(Case))[0]
    assert case.status == "rejected"
    outbox = [o for o in await env.rows(OutboxMessage) if o.chat_id == 1001]
    assert outbox and "订单已发货" in outbox[-1].payload["text"]
    audit = {(a.action, a.allowed) for a in await env.rows(SupportAudit) if a.actor_id == 7001}
    assert {("take", True), ("reject", True)} <= audit
    # a transition the lifecycle forbids is refused, like in Telegram
    env.now[0] += timedelta(seconds=1)
    refunded = await env.client.post(
        f"/case/{case_id}/act", data={"csrf": csrf, "action": "refunded"}
    )
    assert refunded.status_code == 409
    assert (await env.rows(Case))[0].status == "rejected"


async def test_a_lead_action_is_refused_to_an_operator(env: Env) -> None:
    case_id = await add_case(env, "RF-20261130-H003", status="closed")
    csrf = await env.sign_in()
    answer = await env.client.post(f"/case/{case_id}/act", data={"csrf": csrf, "action": "reopen"})
    assert answer.status_code == 409
    assert (await env.rows(Case))[0].status == "closed"
    audit = await env.rows(SupportAudit)
    assert any(a.action == "reopen" and a.reason == "not_lead" for a in audit)


async def test_a_lead_bans_shadow_bans_and_lets_back_a_buyer_an_operator_cannot(
    env: Env,
) -> None:
    case_id = await add_case(env, "RF-20261130-H009")
    csrf = await env.sign_in()  # an operator
    page = await env.client.get(f"/case/{case_id}")
    assert 'id="ban-form"' not in page.text
    refused = await env.client.post(f"/case/{case_id}/ban", data={"csrf": csrf, "mode": "ban"})
    assert refused.status_code == 409
    assert await env.rows(BuyerBan) == []
    audit = await env.rows(SupportAudit)
    assert any(
        a.action == "ban" and a.actor_id == 7001 and not a.allowed and a.reason == "not_lead"
        for a in audit
    )

    env.client.cookies.clear()
    csrf = await env.sign_in(7002, "老张")  # a lead
    assert 'id="ban-form"' in (await env.client.get(f"/case/{case_id}")).text
    modes = []
    for choice in ("ban", "shadow", "lift"):
        done = await env.client.post(f"/case/{case_id}/ban", data={"csrf": csrf, "mode": choice})
        assert done.status_code == 303 and done.headers["location"].endswith(f"done=ban_{choice}")
        bans = await env.rows(BuyerBan)
        modes.append([(b.user_id, b.mode, b.by_id) for b in bans])
        if choice == "shadow":
            page = await env.client.get(done.headers["location"])
            assert zh("web.ban.shadow") in plain(page.text)
            assert zh("web.done.ban_shadow") in plain(page.text)
    assert modes == [[(1001, "ban", 7002)], [(1001, "shadow", 7002)], []]
    lead_audit = [
        (a.reason, a.allowed)
        for a in await env.rows(SupportAudit)
        if a.actor_id == 7002 and a.action == "ban"
    ]
    assert lead_audit == [("ban", True), ("shadow", True), ("lifted", True)]
    unknown = await env.client.post(f"/case/{case_id}/ban", data={"csrf": csrf, "mode": "x"})
    assert unknown.status_code == 400
    no_csrf = await env.client.post(f"/case/{case_id}/ban", data={"mode": "ban"})
    assert no_csrf.status_code in (400, 403) and await env.rows(BuyerBan) == []


async def test_a_case_without_a_topic_is_handed_over_before_anything_else(env: Env) -> None:
    case_id = await add_case(env, "RF-20261130-H004", thread=None)
    csrf = await env.sign_in()
    answer = await env.client.post(f"/case/{case_id}/reply", data={"csrf": csrf, "text": "您好"})
    assert answer.status_code == 409 and env.bot.sent == []
    escalated = await env.client.post(f"/case/{case_id}/escalate", data={"csrf": csrf})
    assert escalated.status_code == 303
    topic = (await env.rows(SupportTopic))[0]
    assert topic.state == "opening" and topic.trigger == "operator"


async def test_a_reply_reaches_the_buyer_as_the_team_with_a_copy_in_the_topic(env: Env) -> None:
    case_id = await add_case(env, "RF-20261130-H005", thread=77)
    csrf = await env.sign_in()
    answer = await env.client.post(
        f"/case/{case_id}/reply", data={"csrf": csrf, "text": "<b>您好</b>，正在处理"}
    )
    assert answer.status_code == 303
    topic_copy, to_buyer = env.bot.sent
    assert topic_copy.chat_id == SUPPORT and topic_copy.thread == 77
    assert to_buyer.chat_id == 1001 and "&lt;b&gt;您好&lt;/b&gt;" in to_buyer.text  # escaped
    assert ZH("support_notify.sign_team") in to_buyer.text
    link = (await env.rows(MessageLink))[0]
    assert (link.dst_chat_id, link.dst_message_id) == (1001, to_buyer.message_id)
    topic = (await env.rows(SupportTopic))[0]
    assert topic.first_response_at is not None  # the first response, as in Telegram
    page = await env.client.get(f"/case/{case_id}")
    assert "&lt;b&gt;您好&lt;/b&gt;，正在处理" in page.text


async def test_a_reply_to_a_buyer_who_blocked_the_bot_says_why(env: Env) -> None:
    case_id = await add_case(env, "RF-20261130-H006")
    env.bot.fail_to.add(1001)
    csrf = await env.sign_in()
    answer = await env.client.post(f"/case/{case_id}/reply", data={"csrf": csrf, "text": "您好"})
    assert answer.status_code == 409
    assert plain(ZH("support.why.blocked")) in plain(answer.text)
    assert await env.rows(MessageLink) == []


async def test_evidence_comes_through_the_bot_without_the_token(env: Env) -> None:
    env.bot.files["file-1"] = PNG
    case_id = await add_case(
        env,
        "RF-20261130-H007",
        evidence=[
            {
                "file_id": "file-1",
                "file_unique_id": "u1",
                "kind": "payment_record",
                "mime_type": None,
                "size": len(PNG),
                "media": "photo",
            }
        ],
    )
    await env.sign_in()
    page = await env.client.get(f"/case/{case_id}")
    assert "TEST-TOKEN" not in page.text and "file-1" not in page.text
    src = re.search(r'<img src="(/evidence/\d+)"', page.text)
    assert src
    picture = await env.client.get(src.group(1))
    assert picture.status_code == 200 and picture.content == PNG
    assert picture.headers["content-type"] == "image/png"
    env.client.cookies.clear()
    assert (await env.client.get(src.group(1))).status_code in (303, 401)


def picture(file_id: str, unique: str, kind: str) -> dict[str, Any]:
    return {
        "file_id": file_id,
        "file_unique_id": unique,
        "kind": kind,
        "mime_type": None,
        "size": len(PNG),
        "media": "photo",
    }


async def test_a_scam_found_in_evidence_is_shown_beside_its_picture_and_counted(env: Env) -> None:
    case_id = await add_case(
        env,
        "RF-20261130-H008",
        evidence=[picture("file-1", "u1", "payment_record"), picture("file-2", "u2", "chat")],
    )
    flagged = await flag_evidence(
        env.ctx.sessions,
        user_id=1001,
        file_unique_id="u2",
        finding={
            "file_unique_id": "u2",
            "risk": "high",
            "checks": "lookalike_domain,qr_link",
            "reason": "<b>taobao-refund.top</b>",
            "explain": {"zh": "二维码指向仿冒的<退款>网站", "en": "a fake refund site"},
            "qr": ["https://taobao-refund.top/pay"],
        },
    )
    assert flagged == case_id
    async with env.ctx.sessions() as session:  # a finding about a picture since removed
        session.add(
            CaseEvent(
                case_id=case_id,
                actor="antifraud",
                kind="evidence_scam",
                payload={"file_unique_id": "gone", "risk": "medium", "reason": "fake bank"},
            )
        )
        await session.commit()
        ids = {
            e.file_unique_id: e.id
            for e in (await session.exec(select(Evidence).where(Evidence.case_id == case_id)))
        }
    await env.sign_in()
    page = (await env.client.get(f"/case/{case_id}")).text
    figures = {
        int(m.group(1)): m.group(0)
        for m in re.finditer(r'<figure><a href="/evidence/(\d+)".*?</figure>', page, re.S)
    }
    scam = zh("web.case.scam", risk=ZH("web.risk.high"))
    assert scam in plain(figures[ids["u2"]]) and 'class="finding' not in figures[ids["u1"]]
    beside = figures[ids["u2"]]
    assert "二维码指向仿冒的&lt;退款&gt;网站" in beside  # the reason in the reader's language
    assert "https://taobao-refund.top/pay" in beside and "lookalike_domain" in beside
    assert "<b>" not in beside
    assert zh("web.case.findings_other") in plain(page) and "fake bank" in page
    assert zh("web.case.findings_none") not in plain(page)
    # the rows are stamped by the database's clock, not the test's: count the day they carry
    async with env.ctx.sessions() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        stamped = queries.aware(case.created_at)
    assert stamped is not None
    day = stamped.astimezone(UTC).date()
    nums = await queries.numbers(env.ctx.sessions, start=day, end=day, tz_name="UTC")
    assert (nums.scam_findings, nums.scam_cases) == (2, 1)
    local = stamped.astimezone(ZoneInfo(env.settings.timezone)).date().isoformat()
    numbers = await env.client.get("/numbers", params={"from": local, "to": local})
    assert re.search(r'<strong id="n-scams">2</strong>', numbers.text)


# --- the queue, the numbers, CSV ----------------------------------------------------------------


async def test_queue_filters_search_and_urgency_order(env: Env) -> None:
    a = await add_case(env, "RF-20261130-Q001", cause="out_of_stock", order="KM20261130000001")
    b = await add_case(
        env,
        "RF-20261130-Q002",
        cause="duplicate_charge",
        route="human_agent",
        order="KM20261130000002",
        thread=12,
    )
    c = await add_case(
        env, "RF-20261130-Q003", status="closed", order="KM20261130000003", thread=13
    )
    async with env.ctx.sessions() as session:
        session.add(
            CaseTimer(
                case_id=a, kind="first_response_deadline", due_at=env.now[0] + timedelta(hours=2)
            )
        )
        session.add(
            CaseTimer(
                case_id=b, kind="first_response_deadline", due_at=env.now[0] + timedelta(hours=30)
            )
        )
        session.add(CaseEvent(case_id=b, actor="timer", kind="breach", payload={}))
        topic = await session.get(SupportTopic, a)
        assert topic is not None
        topic.assignee_id = 7001
        session.add(topic)
        await session.commit()

    async def numbers(**params: str) -> list[str]:
        flt = queries.QueueFilter.from_params(params)
        return [
            r.case.number
            for r in await queries.queue(
                env.ctx.sessions, flt, me=7001, now=env.now[0], tz_name="UTC"
            )
        ]

    assert await numbers() == ["RF-20261130-Q002", "RF-20261130-Q001"]  # breached first
    assert await numbers(status="all") == [
        "RF-20261130-Q002",
        "RF-20261130-Q001",
        "RF-20261130-Q003",
    ]
    assert await numbers(cause="duplicate_charge") == ["RF-20261130-Q002"]
    assert await numbers(route="platform_review") == ["RF-20261130-Q001"]
    assert await numbers(assignee="me") == ["RF-20261130-Q001"]
    assert await numbers(assignee="none") == ["RF-20261130-Q002"]
    assert await numbers(deadline="breached") == ["RF-20261130-Q002"]
    assert await numbers(deadline="soon") == ["RF-20261130-Q001"]
    assert await numbers(status="all", q="KM20261130000003") == ["RF-20261130-Q003"]
    assert await numbers(status="all", q="rf-20261130-q001") == ["RF-20261130-Q001"]
    assert await numbers(q="@lilei") == ["RF-20261130-Q002", "RF-20261130-Q001"]
    assert await numbers(platform="official") == []
    assert await numbers(assignee="7001") == ["RF-20261130-Q001"]
    # filed in a period (local dates): Q003 was filed three days earlier
    async with env.ctx.sessions() as session:
        old = await session.get(Case, c)
        assert old is not None
        filed = datetime.now(UTC) - timedelta(days=3)
        old.created_at = filed
        session.add(old)
        await session.commit()
    today = datetime.now(UTC).date().isoformat()
    assert "RF-20261130-Q003" not in await numbers(status="all", **{"from": today})
    assert await numbers(status="all", to=filed.date().isoformat()) == ["RF-20261130-Q003"]


async def test_the_csv_export_follows_the_filter_and_defuses_formulas(env: Env) -> None:
    await add_case(env, "RF-20261130-C001", cause="out_of_stock", order="=HYPERLINK(1)")
    await add_case(
        env, "RF-20261130-C002", cause="duplicate_charge", thread=12, order="KM20261130000002"
    )
    await env.sign_in()
    answer = await env.client.get("/export.csv", params={"cause": "out_of_stock"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.lstrip("\ufeff").strip().splitlines()
    assert len(lines) == 2 and "RF-20261130-C001" in lines[1] and "'=HYPERLINK(1)" in lines[1]
    assert _csv_safe("-1") == "'-1" and _csv_safe("KM1") == "KM1"


async def test_the_csv_export_is_not_cut_at_the_page_length(env: Env) -> None:
    async with env.ctx.sessions() as session:
        await repo.upsert_user(session, user_id=1001, first_name="李雷", username="lilei")
        for i in range(230):
            await repo.create_case(
                session,
                number=f"RF-20261130-{i:04X}",
                draft_key=f"bulk-{i}",
                user_id=1001,
                language="zh",
                order_number=f"KM2026113{i:07d}",
                platform_type="aggregator",
                order_status="paid_undelivered",
                cause="out_of_stock",
                cause_text=None,
                payment_channel="alipay",
                amount=Decimal("10"),
                paid_at=env.now[0],
                status="in_review",
                decision=decision(),
                evidence=[],
                decided=False,
            )
    await env.sign_in()
    page = await env.client.get("/")
    assert page.text.count('class="case-link"') == 200
    export = await env.client.get("/export.csv")
    assert len(export.text.strip().splitlines()) == 231  # the header and every case


async def test_numbers_count_cases_refunds_and_response_times(env: Env) -> None:
    first = await add_case(env, "RF-20261130-N001", status="refunded", amount="40.00")
    await add_case(env, "RF-20261130-N002", cause="duplicate_charge", thread=12, amount="60.00")
    async with env.ctx.sessions() as session:
        topic = await session.get(SupportTopic, first)
        assert topic is not None
        topic.opened_at = env.now[0] - timedelta(hours=3)
        topic.first_response_at = env.now[0] - timedelta(hours=1)
        session.add(topic)
        session.add(CaseEvent(case_id=first, actor="timer", kind="breach", payload={}))
        await session.commit()
        # the rows are stamped by the database's clock, not the test's: count the day they
        # carry (the test's clock is fixed on one day, the run may fall on any other)
        case = await session.get(Case, first)
        assert case is not None
        stamped = queries.aware(case.created_at)
    assert stamped is not None
    today = stamped.astimezone(UTC).date()
    nums = await queries.numbers(env.ctx.sessions, start=today, end=today, tz_name="UTC")
    assert nums.cases == 2 and nums.refunded_count == 1 and nums.refunded_total == Decimal("40.00")
    assert nums.claimed_total == Decimal("100.00")
    assert nums.first_response == [2.0]
    assert sum(nums.breaches.values()) == 1
    assert nums.by_cause["duplicate_charge"][today] == 1
    await env.sign_in()
    local = stamped.astimezone(ZoneInfo(env.settings.timezone)).date().isoformat()
    page = await env.client.get("/numbers", params={"from": local, "to": local})
    assert page.status_code == 200 and page.text.count("<svg") == 3


def test_chart_labels_are_escaped() -> None:
    from collections import Counter
    from datetime import date

    day = date(2026, 11, 30)
    svg = charts.stacked_bars([day], {"x": Counter({day: 2})}, {"x": "<script>"}, title="t&t")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "t&amp;t" in svg


# --- the policy simulator ---------------------------------------------------------------


async def test_the_simulator_decides_typed_facts_with_the_policy(env: Env) -> None:
    csrf = await env.sign_in()
    form = {
        "csrf": csrf,
        "order_status": "paid_undelivered",
        "cause": "out_of_stock",
        "platform_type": "aggregator",
        "payment_channel": "alipay",
        "amount": "50",
        "hours_since_payment": "3",
        "fee_disclosed": "1",
    }
    answer = await env.client.post("/simulate", data=form)
    expected = decide(env.ctx.policy, queries.facts_from_form(form))
    assert answer.status_code == 200 and expected.rule_id in answer.text
    bad = await env.client.post("/simulate", data={**form, "amount": "-3"})
    assert bad.status_code == 422


async def test_a_stricter_policy_shows_the_cases_it_would_change_and_the_total(
    env: Env, tmp_path: Path
) -> None:
    # the default policy refunds an undelivered order in full when the merchant is at fault;
    # the stricter one sends such orders of 100 CNY or more to a person (needs_review)
    for i, amount in enumerate(("100.00", "150.00", "50.00")):
        await add_case(env, f"RF-20261130-P00{i}", thread=20 + i, amount=amount)
    data = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    data["version"] = "stricter"
    rule = next(r for r in data["rules"] if r["id"] == "undelivered-merchant")
    rule["when"]["amount"] = {"lt": 100}
    other_file = tmp_path / "stricter.yaml"
    other_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    other = load_policy(other_file)
    result = await queries.replay(env.ctx.sessions, current=env.ctx.policy, other=other, last=10)
    assert result.compared == 3
    assert sorted(d.case.number for d in result.differences) == [
        "RF-20261130-P000",
        "RF-20261130-P001",
    ]
    assert {d.after.outcome.value for d in result.differences} == {"needs_review"}
    assert result.total_before == Decimal("300.00") and result.delta == Decimal("-250.00")
    csrf = await env.sign_in()
    answer = await env.client.post(
        "/simulate/policy",
        data={"csrf": csrf, "last": "10"},
        files={"policy": ("stricter.yaml", other_file.read_bytes(), "application/x-yaml")},
    )
    assert answer.status_code == 200 and "-250.00" in answer.text
    assert "RF-20261130-P001" in answer.text and "RF-20261130-P002" not in answer.text
    broken = await env.client.post(
        "/simulate/policy",
        data={"csrf": csrf, "last": "10"},
        files={"policy": ("bad.yaml", b"rules: [1, 2", "application/x-yaml")},
    )
    assert broken.status_code == 422


async def test_pages_carry_a_strict_content_security_policy(env: Env) -> None:
    await env.sign_in()
    page = await env.client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "https://" not in page.text  # every asset ships in the package: no CDN


async def test_the_console_speaks_english_when_asked_and_stays_on_this_site(env: Env) -> None:
    csrf = await env.sign_in()
    assert ZH("web.nav.queue") in (await env.client.get("/")).text
    switched = await env.client.post("/lang", data={"csrf": csrf, "lang": "en", "back": "/numbers"})
    assert switched.status_code == 303 and switched.headers["location"] == "/numbers"
    page = await env.client.get("/")
    assert Translator("en")("web.nav.queue") in page.text and 'lang="en"' in page.text
    for elsewhere in ("//evil.example", "/\\evil.example", "https://evil.example"):
        answer = await env.client.post(
            "/lang", data={"csrf": csrf, "lang": "zh", "back": elsewhere}
        )
        assert answer.headers["location"] == "/"
