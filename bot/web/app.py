"""The console's HTTP side: FastAPI routes rendering Jinja2 templates.

Every page needs a session whose operator is an operator *now* (the same role resolution
as in Telegram: `Operators.role`, re-read from the support group). Every form carries the
session's CSRF token. Case actions go through `bot.web.actions`, which calls the support
service exactly as the Telegram handlers do.
"""

from __future__ import annotations

import csv
import hmac
import io
import logging
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from bot.domain import cases as lifecycle
from bot.domain.cases import CaseStatus
from bot.domain.rules import FactsError, PolicyError, decide
from bot.domain.vocab import (
    Cause,
    EvidenceKind,
    OrderStatus,
    Outcome,
    PaymentChannel,
    PlatformType,
    Route,
)
from bot.i18n import LANGUAGES, Translator
from bot.services.support import Action, Role
from bot.web import actions, charts, queries
from bot.web.auth import SignedIn, check_widget
from bot.web.context import WebContext

log = logging.getLogger(__name__)
COOKIE = "rb_session"
LANG_COOKIE = "rb_lang"
STATIC = Path(__file__).with_name("static")
MAX_POLICY_BYTES = 512 * 1024
EXPORT_LIMIT = 50_000  # rows in one CSV export (the page shows 200)
ACTION_BUTTONS = (
    Action.TAKE,
    Action.APPROVE,
    Action.REJECT,
    Action.EVIDENCE,
    Action.REFUNDED,
    Action.CLOSE,
    Action.REOPEN,
)


class Refusal(Exception):
    """Stop the request with a page saying why (and the status code)."""

    def __init__(self, status: int, key: str, *, login: bool = False) -> None:
        self.status, self.key, self.login = status, key, login


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


ENV = _env()


def create_app(ctx: WebContext) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ctx = ctx
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def lang_of(request: Request, user: SignedIn | None) -> str:
        if user is not None:
            return user.lang
        chosen = request.cookies.get(LANG_COOKIE, "")
        return chosen if chosen in LANGUAGES else ctx.settings.default_language

    def page(
        request: Request,
        name: str,
        *,
        user: SignedIn | None,
        status: int = 200,
        role: Role | None = None,
        **values: Any,
    ) -> HTMLResponse:
        t = Translator(lang_of(request, user))
        template = ENV.get_template(name)
        body = template.render(
            t=t,
            user=user,
            role=role.value if role else "",
            csrf=user.csrf if user else "",
            path=request.url.path,
            lang=t.lang,
            fmt=lambda moment: ctx.local(moment),
            **values,
        )
        response = HTMLResponse(body, status_code=status)
        _harden(response, widget=bool(values.get("widget")))
        return response

    def _harden(response: Response, *, widget: bool = False) -> Response:
        script = "'self' https://telegram.org" if widget else "'self'"
        frame = "https://oauth.telegram.org" if widget else "'none'"
        response.headers["Content-Security-Policy"] = (
            f"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src {script}; "
            f"frame-src {frame}; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    def set_session_cookie(response: Response, user: SignedIn) -> None:
        max_age = int((user.expires_at - ctx.clock()).total_seconds())
        response.set_cookie(
            COOKIE,
            user.token,
            max_age=max(max_age, 0),
            httponly=True,
            samesite="strict",
            secure=ctx.web.secure_cookies,
            path="/",
        )

    async def current(request: Request) -> tuple[SignedIn, Role]:
        """The signed-in operator, checked against the support group now."""
        user = await ctx.logins.session(request.cookies.get(COOKIE))
        if user is None:
            raise Refusal(401, "web.error.signed_out", login=True)
        role = await ctx.role(user.user_id)
        if role is Role.NONE:
            await ctx.support.audit(
                actor_id=user.user_id,
                action="web_access",
                case_id=None,
                allowed=False,
                reason="not_operator",
                payload={"via": "web", "path": request.url.path[:100]},
            )
            raise Refusal(403, "web.error.not_operator")
        return user, role

    async def checked_form(request: Request, user: SignedIn) -> Any:
        form = await request.form()
        sent = str(form.get("csrf") or "")
        if not sent or not hmac.compare_digest(sent, user.csrf):
            await ctx.support.audit(
                actor_id=user.user_id,
                action="web_csrf",
                case_id=None,
                allowed=False,
                reason="csrf",
                payload={"via": "web", "path": request.url.path[:100]},
            )
            raise Refusal(403, "web.error.csrf")
        return form

    @app.exception_handler(Refusal)
    async def refused(request: Request, exc: Refusal) -> Response:
        user = await ctx.logins.session(request.cookies.get(COOKIE))
        if exc.login and request.method == "GET" and not request.url.path.startswith("/queue/"):
            return RedirectResponse("/login", status_code=303)
        return page(request, "error.html", user=user, status=exc.status, message_key=exc.key)

    # --- signing in ---------------------------------------------------------------------

    @app.get("/login")
    async def login_page(request: Request) -> Response:
        widget = ctx.web.login_bot_username
        return page(
            request,
            "login.html",
            user=None,
            widget=widget,
            widget_url=f"{ctx.web.public_url() or ''}/login/telegram",
        )

    @app.get("/login/telegram")
    async def login_widget(request: Request) -> Response:
        if ctx.settings.bot_token is None:
            raise Refusal(403, "web.error.link_invalid")
        fields = {k: v for k, v in request.query_params.items()}
        user_id = check_widget(
            fields, bot_token=ctx.settings.bot_token.get_secret_value(), now=ctx.clock()
        )
        if user_id is None:
            raise Refusal(403, "web.error.link_invalid")
        return await _sign_in(request, user_id, fields.get("first_name", ""), None, via="widget")

    @app.get("/login/{token}")
    async def login_link(request: Request, token: str) -> Response:
        # a GET does not consume the link (previews and prefetchers open links): the
        # operator presses the button, which posts it
        return page(request, "login_confirm.html", user=None, token=token)

    @app.post("/login/{token}")
    async def login_redeem(request: Request, token: str) -> Response:
        row = await ctx.logins.redeem(token)
        if row is None:
            raise Refusal(403, "web.error.link_invalid")
        return await _sign_in(request, row.user_id, row.first_name, row.lang, via="link")

    async def _sign_in(
        request: Request, user_id: int, first_name: str, lang: str | None, *, via: str
    ) -> Response:
        role = await ctx.role(user_id)
        allowed = role is not Role.NONE
        await ctx.support.audit(
            actor_id=user_id,
            action="web_login",
            case_id=None,
            allowed=allowed,
            reason="" if allowed else "not_operator",
            payload={"via": via},
        )
        if not allowed:
            raise Refusal(403, "web.error.not_operator")
        chosen = lang or lang_of(request, None)
        user = await ctx.logins.open_session(
            user_id=user_id, first_name=first_name, lang=chosen, via=via
        )
        response = RedirectResponse("/", status_code=303)
        set_session_cookie(response, user)
        return _harden(response)

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        user, _role = await current(request)
        await checked_form(request, user)
        await ctx.logins.revoke(user.token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return _harden(response)

    @app.post("/lang")
    async def set_lang(request: Request) -> Response:
        user, _role = await current(request)
        form = await checked_form(request, user)
        lang = str(form.get("lang") or "")
        if lang in LANGUAGES:
            await ctx.logins.set_lang(user.token, lang)
        back = str(form.get("back") or "/")
        local = back.startswith("/") and not back.startswith(("//", "/\\"))
        return RedirectResponse(back if local else "/", status_code=303)

    # --- the queue ----------------------------------------------------------------------

    def vocab(t: Translator) -> dict[str, list[tuple[str, str]]]:
        def label(prefix: str, value: str) -> str:
            key = f"{prefix}.{value}"
            return t(key) if t.has(key) else value

        return {
            "status": [(s.value, label("case_status", s.value)) for s in CaseStatus],
            "cause": [(c.value, label("cause", c.value)) for c in Cause],
            "route": [(r.value, label("web.route", r.value)) for r in Route],
            "platform": [(p.value, label("platform", p.value)) for p in PlatformType],
            "outcome": [(o.value, label("web.outcome", o.value)) for o in Outcome],
            "order_status": [(o.value, label("status", o.value)) for o in OrderStatus],
            "payment": [(p.value, label("channel", p.value)) for p in PaymentChannel],
            "evidence": [(e.value, label("evidence", e.value)) for e in EvidenceKind],
        }

    def labels(t: Translator) -> Callable[[str, str], str]:
        def label(prefix: str, value: str) -> str:
            key = f"{prefix}.{value}"
            return t(key) if value and t.has(key) else (value or "-")

        return label

    async def queue_rows(
        request: Request, user: SignedIn, *, limit: int = queries.QueueFilter.limit
    ) -> tuple[Any, list[queries.QueueRow]]:
        flt = replace(queries.QueueFilter.from_params(request.query_params), limit=limit)
        rows = await queries.queue(
            ctx.sessions, flt, me=user.user_id, now=ctx.clock(), tz_name=ctx.settings.timezone
        )
        return flt, rows

    @app.get("/")
    async def queue_page(request: Request) -> Response:
        user, role = await current(request)
        flt, rows = await queue_rows(request, user)
        t = Translator(user.lang)
        query = urlencode(flt.params())
        return page(
            request,
            "queue.html",
            user=user,
            role=role,
            flt=flt,
            rows=rows,
            now=ctx.clock(),
            choices=vocab(t),
            label=labels(t),
            query=query,
            assignees=await queries.assignees(ctx.sessions),
        )

    @app.get("/queue/rows")
    async def queue_partial(request: Request) -> Response:
        user, role = await current(request)
        flt, rows = await queue_rows(request, user)
        t = Translator(user.lang)
        return page(
            request,
            "queue_rows.html",
            user=user,
            role=role,
            flt=flt,
            rows=rows,
            now=ctx.clock(),
            label=labels(t),
        )

    @app.get("/export.csv")
    async def export(request: Request) -> Response:
        user, _role = await current(request)
        _flt, rows = await queue_rows(request, user, limit=EXPORT_LIMIT)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "case",
                "created_at",
                "status",
                "cause",
                "route",
                "outcome",
                "platform_type",
                "order_number",
                "amount",
                "refund_amount",
                "buyer_id",
                "assignee_id",
                "next_deadline",
                "breached",
                "rule_id",
            ]
        )
        for row in rows:
            case = row.case
            writer.writerow(
                [
                    case.number,
                    ctx.local(case.created_at),
                    case.status,
                    case.cause,
                    row.route,
                    case.outcome,
                    case.platform_type,
                    _csv_safe(case.order_number),
                    case.amount,
                    (case.decision or {}).get("refund_amount") or "",
                    case.user_id,
                    row.topic.assignee_id if row.topic else "",
                    ctx.local(row.due) if row.due else "",
                    int(row.breached),
                    case.rule_id,
                ]
            )
        await ctx.support.audit(
            actor_id=user.user_id,
            action="web_export",
            case_id=None,
            allowed=True,
            payload={"via": "web", "rows": len(rows)},
        )
        response = Response(
            "\ufeff" + out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
        )
        return _harden(response)

    # --- a case -------------------------------------------------------------------------

    async def case_page_response(
        request: Request,
        user: SignedIn,
        role: Role,
        case_id: int,
        *,
        notice: str = "",
        error: str = "",
        status: int = 200,
    ) -> Response:
        data = await ctx.support.card(case_id)
        if data is None:
            raise Refusal(404, "web.error.no_case")
        t = Translator(user.lang)
        convo = await actions.conversation(ctx, data)
        findings, other_findings = actions.scam_findings(data, t.lang)
        timers = await ctx.support.timers(case_id)
        allowed = {
            a.value
            for a in ACTION_BUTTONS
            if a is Action.TAKE
            or lifecycle.can_transition(data.case.status, actions.ACTION_STATUS[a])
        }
        if role is not Role.LEAD:
            allowed.discard(Action.REOPEN.value)
        return page(
            request,
            "case.html",
            user=user,
            role=role,
            status=status,
            data=data,
            case=data.case,
            decision=data.decision,
            timeline=data.events,
            timers=timers,
            convo=convo,
            findings=findings,
            other_findings=other_findings,
            actions=[a.value for a in ACTION_BUTTONS if a.value in allowed],
            label=labels(t),
            actor=lambda a: actions.actor_text(t, a),
            notice=notice,
            error=error,
            section_titles=actions.section_titles(ctx, data.decision, t.lang),
            replies=await ctx.support.reply_names(data.case.cause),
            banned=await ctx.support.ban_of(data.case.user_id) if role is Role.LEAD else None,
        )

    @app.get("/case/{case_id}")
    async def case_page(request: Request, case_id: int) -> Response:
        user, role = await current(request)
        notice = request.query_params.get("done", "")
        return await case_page_response(
            request,
            user,
            role,
            case_id,
            notice=f"web.done.{notice}" if notice in actions.NOTICES else "",
        )

    @app.get("/find")
    async def find(request: Request) -> Response:
        user, _role = await current(request)
        q = request.query_params.get("q", "").strip()
        found = await ctx.support.case_by_number(q) if q else None
        if found is not None and found[0].id is not None:
            return RedirectResponse(f"/case/{found[0].id}", status_code=303)
        return RedirectResponse("/?" + urlencode({"status": "all", "q": q}), status_code=303)

    async def _after(
        request: Request,
        user: SignedIn,
        role: Role,
        case_id: int,
        run: Awaitable[str],
        notice: str,
    ) -> Response:
        reason = await run
        if reason:
            return await case_page_response(request, user, role, case_id, error=reason, status=409)
        return RedirectResponse(f"/case/{case_id}?done={notice}", status_code=303)

    @app.post("/case/{case_id}/act")
    async def act(request: Request, case_id: int) -> Response:
        user, role = await current(request)
        form = await checked_form(request, user)
        try:
            action = Action(str(form.get("action") or ""))
        except ValueError:
            raise Refusal(400, "web.error.bad_request") from None
        if action not in ACTION_BUTTONS:
            raise Refusal(400, "web.error.bad_request")
        detail = str(form.get("detail") or "").strip()[:1000] or None
        return await _after(
            request,
            user,
            role,
            case_id,
            actions.act(ctx, user, case_id=case_id, action=action, detail=detail),
            action.value,
        )

    @app.post("/case/{case_id}/reply")
    async def reply(request: Request, case_id: int) -> Response:
        user, role = await current(request)
        form = await checked_form(request, user)
        text = str(form.get("text") or "").strip()
        saved = str(form.get("saved") or "").strip()
        return await _after(
            request,
            user,
            role,
            case_id,
            actions.reply(ctx, user, case_id=case_id, text=text, saved=saved),
            "reply",
        )

    @app.post("/case/{case_id}/note")
    async def note(request: Request, case_id: int) -> Response:
        user, role = await current(request)
        form = await checked_form(request, user)
        text = str(form.get("text") or "").strip()
        return await _after(
            request,
            user,
            role,
            case_id,
            actions.note(ctx, user, case_id=case_id, text=text),
            "note",
        )

    @app.post("/case/{case_id}/ban")
    async def ban(request: Request, case_id: int) -> Response:
        user, role = await current(request)
        form = await checked_form(request, user)
        choice = str(form.get("mode") or "")
        if choice not in actions.BAN_MODES:
            raise Refusal(400, "web.error.bad_request")
        return await _after(
            request,
            user,
            role,
            case_id,
            actions.ban(ctx, user, case_id=case_id, mode=actions.BAN_MODES[choice]),
            f"ban_{choice}",
        )

    @app.post("/case/{case_id}/escalate")
    async def escalate(request: Request, case_id: int) -> Response:
        user, role = await current(request)
        await checked_form(request, user)
        return await _after(
            request, user, role, case_id, actions.escalate(ctx, user, case_id=case_id), "escalate"
        )

    @app.get("/evidence/{evidence_id}")
    async def evidence(request: Request, evidence_id: int) -> Response:
        user, _role = await current(request)
        found = await actions.evidence_bytes(ctx, user, evidence_id)
        if found is None:
            raise Refusal(404, "web.error.no_file")
        body, mime = found
        response = Response(body, media_type=mime)
        _harden(response)
        response.headers["Cache-Control"] = "private, max-age=300"
        return response

    # --- numbers ------------------------------------------------------------------------

    def _period(request: Request) -> tuple[date, date]:
        today = ctx.clock().astimezone(ZoneInfo(ctx.settings.timezone)).date()
        try:
            end = date.fromisoformat(request.query_params.get("to", "") or today.isoformat())
            start = date.fromisoformat(
                request.query_params.get("from", "") or (end - timedelta(days=13)).isoformat()
            )
        except ValueError:
            raise Refusal(400, "web.error.bad_request") from None
        if start > end or (end - start).days > 366:
            raise Refusal(400, "web.error.bad_request")
        return start, end

    @app.get("/numbers")
    async def numbers_page(request: Request) -> Response:
        user, role = await current(request)
        start, end = _period(request)
        t = Translator(user.lang)
        label = labels(t)
        nums = await queries.numbers(
            ctx.sessions, start=start, end=end, tz_name=ctx.settings.timezone
        )
        cause_chart = charts.stacked_bars(
            nums.days,
            nums.by_cause,
            {c: label("cause", c) for c in nums.by_cause},
            title=t("web.numbers.by_cause"),
        )
        outcome_chart = charts.stacked_bars(
            nums.days,
            nums.by_outcome,
            {o: label("web.outcome", o) for o in nums.by_outcome},
            title=t("web.numbers.by_outcome"),
        )
        breach_chart = charts.stacked_bars(
            nums.days,
            {"breach": nums.breaches},
            {"breach": t("web.numbers.breaches")},
            title=t("web.numbers.breaches"),
        )
        return page(
            request,
            "numbers.html",
            user=user,
            role=role,
            nums=nums,
            start=start,
            end=end,
            first=queries.Numbers.summary(nums.first_response),
            resolution=queries.Numbers.summary(nums.resolution),
            cause_chart=Markup(cause_chart),  # noqa: S704 - built from escaped parts
            outcome_chart=Markup(outcome_chart),  # noqa: S704
            breach_chart=Markup(breach_chart),  # noqa: S704
            label=label,
            export_query=urlencode(
                {"status": "all", "from": start.isoformat(), "to": end.isoformat()}
            ),
        )

    # --- the policy simulator -------------------------------------------------------------

    def _sim_page(
        request: Request, user: SignedIn, role: Role, status: int = 200, **values: Any
    ) -> Response:
        t = Translator(user.lang)
        values.setdefault("form", {})
        return page(
            request,
            "simulate.html",
            user=user,
            role=role,
            status=status,
            choices=vocab(t),
            label=labels(t),
            **values,
        )

    @app.get("/simulate")
    async def simulate_page(request: Request) -> Response:
        user, role = await current(request)
        return _sim_page(request, user, role, last=200)

    @app.post("/simulate")
    async def simulate(request: Request) -> Response:
        user, role = await current(request)
        form = await checked_form(request, user)
        values = {k: form.get(k) for k in form}
        values["evidence"] = form.getlist("evidence")
        try:
            facts = queries.facts_from_form(values)
        except FactsError as exc:
            return _sim_page(
                request, user, role, status=422, form=values, facts_errors=exc.fields, last=200
            )
        decision = decide(ctx.policy, facts)
        return _sim_page(
            request,
            user,
            role,
            form=values,
            decision=decision,
            section_titles=actions.section_titles(ctx, decision.model_dump(mode="json"), user.lang),
            last=200,
        )

    @app.post("/simulate/policy")
    async def simulate_policy(request: Request) -> Response:
        user, role = await current(request)
        form = await checked_form(request, user)
        upload = form.get("policy")
        try:
            last = max(1, min(5000, int(str(form.get("last") or "200"))))
        except ValueError:
            last = 200
        raw = await upload.read(MAX_POLICY_BYTES + 1) if hasattr(upload, "read") else b""
        if not raw or len(raw) > MAX_POLICY_BYTES:
            return _sim_page(
                request,
                user,
                role,
                status=422,
                policy_error=Translator(user.lang)("web.sim.no_file"),
                last=last,
            )
        name = Path(str(getattr(upload, "filename", "") or "policy.yaml")).name
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / (name if name.endswith((".yaml", ".yml")) else "policy.yaml")
            path.write_bytes(raw)
            try:
                from bot.policy_files import load_policy

                other = load_policy(path)
            except PolicyError as exc:
                problems = [escape(str(p)) for p in getattr(exc, "problems", [str(exc)])][:5]
                return _sim_page(
                    request, user, role, status=422, policy_error="; ".join(problems), last=last
                )
        result = await queries.replay(ctx.sessions, current=ctx.policy, other=other, last=last)
        await ctx.support.audit(
            actor_id=user.user_id,
            action="web_simulate",
            case_id=None,
            allowed=True,
            payload={"via": "web", "cases": result.compared, "changed": len(result.differences)},
        )
        return _sim_page(
            request,
            user,
            role,
            replay=result,
            other_version=other.version,
            current_version=ctx.policy.version,
            last=last,
        )

    return app


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula is quoted as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
