"""The portal's web app: server-rendered pages (Jinja + htmx) over the API, acting for the logged-in staff member.

The portal decides nothing about what a person may do: it hides what the role cannot use, but every action is a
call to the API with a token acting for that person, and the API refuses what the role's scopes do not allow.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from litestar import Litestar, Request, Response, get, post
from litestar.config.csrf import CSRFConfig
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException, ValidationException
from litestar.params import Body, QueryParameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from domain.clients import PARTNER_SCOPES  # the contract's scope names: pure data, no API code
from portal.api_client import ApiRefused, PortalApi, SessionEnded, StaffApi
from portal.messages import DEFAULT_LANGUAGE, LANGUAGES, translator
from portal.sessions import PortalSession, SessionStore, StaffIdentity
from portal.settings import PortalSettings

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "portal_session"
LANGUAGE_COOKIE = "portal_lang"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


class LoginRequired(Exception):
    """No live session: the browser goes to the login page."""


def language_of(request: Request[Any, Any, Any]) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def rupiah(amount: Any) -> str:
    """`Rp 1.500.000`, the way Indonesian staff read money."""
    try:
        value = int(amount)
    except (TypeError, ValueError):
        return str(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}Rp {abs(value):,}".replace(",", ".")


JAKARTA = ZoneInfo("Asia/Jakarta")


def moment(value: Any) -> str:
    """An API timestamp as staff read it: Jakarta time (WIB), to the minute."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if parsed.tzinfo is None:
        return str(value)
    return f"{parsed.astimezone(JAKARTA):%Y-%m-%d %H:%M} WIB"


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    staff: StaffIdentity | None = None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A full page (or, for an htmx request, the same template: htmx swaps the main element)."""
    lang = language_of(request)
    return Template(
        template_name=template,
        context={
            "t": translator(lang),
            "lang": lang,
            "staff": staff,
            "path": request.url.path,
            # Where the language links come back to: this page with its filters (only GET pages are revisited).
            "here": request.url.path
            + (f"?{request.url.query}" if request.url.query and request.method == "GET" else ""),
            **context,
        },
        status_code=status_code,
        headers=SECURITY_HEADERS,
    )


def settings_of(request: Request[Any, Any, Any]) -> PortalSettings:
    found: PortalSettings = request.app.state.settings
    return found


def portal_api(request: Request[Any, Any, Any]) -> PortalApi:
    found: PortalApi = request.app.state.api
    return found


def store_of(request: Request[Any, Any, Any]) -> SessionStore:
    found: SessionStore = request.app.state.store
    return found


async def current_session(request: Request[Any, Any, Any]) -> PortalSession:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise LoginRequired
    session = await store_of(request).load(session_id)
    if session is None:
        raise LoginRequired
    request.state.staff = session.staff
    return session


async def staff_api(request: Request[Any, Any, Any]) -> StaffApi:
    """The API as the logged-in staff member (LoginRequired when there is no live session)."""
    return StaffApi(portal_api(request), store_of(request), await current_session(request))


def require(staff: StaffIdentity, *scopes: str) -> None:
    """Hide what the role cannot use (the API would refuse it anyway)."""
    if not any(staff.can(scope) for scope in scopes):
        raise PermissionDeniedException


def safe_next(target: str | None) -> str:
    # Only a path on this site: "//host" and "/\\host" would leave it.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


# --- login, logout, language --------------------------------------------------------------------------------------


@get("/login", name="login")
async def login_form(
    request: Request[Any, Any, Any],
    ended: bool = False,
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Template:
    return page(request, "login.html", error="login.ended" if ended else None, next_path=safe_next(next_path))


@post("/login")
async def log_in(request: Request[Any, Any, Any], data: FormData) -> Response[Any]:
    email, password, otp = data.get("email", ""), data.get("password", ""), data.get("otp", "").strip()
    try:
        answer = await portal_api(request).log_in(email.strip(), password, otp)
    except ApiRefused as refused:
        message = "login.locked" if refused.code == "staff_locked" else "login.failed"
        status = 423 if refused.code == "staff_locked" else 401
        where = safe_next(data.get("next"))
        return page(request, "login.html", error=message, email=email, next_path=where, status_code=status)
    person = answer["staff"]
    staff = StaffIdentity(person["id"], person["email"], person["name"], person["role"], tuple(person["scopes"]))
    session_id = await store_of(request).create(staff, answer["session_token"])
    response: Response[Any] = Redirect(safe_next(data.get("next")), status_code=303)
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, secure=True, samesite="strict", path="/")
    return response


@post("/logout")
async def log_out(request: Request[Any, Any, Any]) -> Response[Any]:
    with contextlib.suppress(LoginRequired):
        session = await current_session(request)
        with contextlib.suppress(httpx.HTTPError, ApiRefused):
            await portal_api(request).log_out(session.api_session_token, session.access_token)
        await store_of(request).delete(session)
    response: Response[Any] = Redirect("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@get("/language/{code:str}")
async def choose_language(
    code: str, next_path: Annotated[str | None, QueryParameter(name="next")] = None
) -> Response[Any]:
    response: Response[Any] = Redirect(safe_next(next_path), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, httponly=True, secure=True, samesite="lax", path="/")
    return response


# --- dashboard -----------------------------------------------------------------------------------------------------


def chart_bars(days: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """One bar per day for the inline SVG chart (heights relative to the busiest day)."""
    peak = max([int(d[field]) for d in days] + [1])
    return [{"day": d["day"], "count": int(d[field]), "height": round(100 * int(d[field]) / peak)} for d in days]


@get("/")
async def dashboard(request: Request[Any, Any, Any]) -> Template:
    api = await staff_api(request)
    staff = api.session.staff
    daily = await api.get("/v1/programme/dashboard", {"days": "30"})
    queue = None
    if staff.can("programme:curation"):
        queue = len((await api.get("/v1/programme/courses", {"status": "submitted", "limit": "100"}))["items"])
    return page(
        request,
        "dashboard.html",
        staff=staff,
        today=daily["today"],
        bars=chart_bars(daily["days"], "sales"),
        queue=queue,
    )


# --- curation ------------------------------------------------------------------------------------------------------

REVISION_FIELDS = ("price", "public_price", "hours", "format", "modules")


def revision_diff(course: dict[str, Any]) -> list[dict[str, Any]]:
    """The pending revision field by field against the live terms (only the fields that change)."""
    pending = course.get("pending_revision") or {}
    return [
        {"field": name, "live": course.get(name), "proposed": pending[name]}
        for name in REVISION_FIELDS
        if name in pending and pending[name] != course.get(name)
    ]


@get("/curation")
async def curation(request: Request[Any, Any, Any], cursor: str | None = None) -> Template:
    api = await staff_api(request)
    staff = api.session.staff
    require(staff, "programme:curation", "programme:audit")
    courses: list[dict[str, Any]] = []
    next_cursor = None
    if staff.can("programme:curation"):
        params = {"status": "submitted", **({"cursor": cursor} if cursor else {})}
        found = await api.get("/v1/programme/courses", params)
        courses = [{**c, "diff": revision_diff(c)} for c in found["items"]]
        next_cursor = found.get("next_cursor")
    return page(
        request,
        "curation.html",
        staff=staff,
        courses=courses,
        next_cursor=next_cursor,
        can_decide=staff.can("programme:curation"),
        done=request.query_params.get("done"),
    )


@get("/curation/{course_id:str}")
async def course_under_review(request: Request[Any, Any, Any], course_id: str) -> Template:
    api = await staff_api(request)
    require(api.session.staff, "programme:curation")
    found = await api.get(f"/v1/programme/courses/{quote(course_id, safe='')}")
    course = {**found["course"], "diff": revision_diff(found["course"])}
    return page(
        request,
        "course.html",
        staff=api.session.staff,
        course=course,
        schedules=found["schedules"],
        can_decide=course["status"] == "submitted" or course.get("pending_revision") is not None,
    )


@post("/curation/{course_id:str}/approve")
async def approve(request: Request[Any, Any, Any], course_id: str) -> Response[Any]:
    api = await staff_api(request)
    await api.post(f"/v1/programme/courses/{quote(course_id, safe='')}/approve")
    return Redirect("/curation?done=approved", status_code=303)


@post("/curation/{course_id:str}/reject")
async def reject(request: Request[Any, Any, Any], course_id: str, data: FormData) -> Response[Any]:
    api = await staff_api(request)
    reasons = [line.strip() for line in data.get("reasons", "").splitlines() if line.strip()]
    await api.post(f"/v1/programme/courses/{quote(course_id, safe='')}/reject", {"reasons": reasons})
    return Redirect("/curation?done=rejected", status_code=303)


# --- partners and clients ------------------------------------------------------------------------------------------


@get("/partners")
async def partners(request: Request[Any, Any, Any], cursor: str | None = None) -> Template:
    api = await staff_api(request)
    require(api.session.staff, "programme:partners")
    found = await api.get("/v1/programme/partners", {"cursor": cursor} if cursor else None)
    return page(
        request, "partners.html", staff=api.session.staff, partners=found["items"], next_cursor=found["next_cursor"]
    )


@post("/partners")
async def create_partner(request: Request[Any, Any, Any], data: FormData) -> Response[Any]:
    api = await staff_api(request)
    body = {"name": data.get("name", ""), "kind": data.get("kind", ""), "contact_email": data.get("contact_email", "")}
    created = await api.post("/v1/programme/partners", body)
    return Redirect(f"/partners/{quote(created['id'], safe='')}", status_code=303)


@get("/partners/{partner_id:str}")
async def partner(request: Request[Any, Any, Any], partner_id: str) -> Template:
    api = await staff_api(request)
    require(api.session.staff, "programme:partners")
    found = await api.get(f"/v1/programme/partners/{quote(partner_id, safe='')}")
    clients = await api.get("/v1/programme/clients", {"partner_id": partner_id, "limit": "100"})
    return page(
        request,
        "partner.html",
        staff=api.session.staff,
        partner=found,
        clients=clients["items"],
        partner_scopes=PARTNER_SCOPES,
    )


@post("/partners/{partner_id:str}/clients")
async def issue_client(request: Request[Any, Any, Any], partner_id: str) -> Template:
    api = await staff_api(request)
    form = await request.form()
    environment = str(form.get("environment", "sandbox"))
    chosen = [str(s) for s in form.getall("scopes", []) if s in PARTNER_SCOPES]
    if environment != "sandbox":
        chosen = [s for s in chosen if s != "sandbox:simulate"]
    body = {"name": str(form.get("name", "")), "environment": environment, "scopes": chosen}
    issued = await api.post(f"/v1/programme/partners/{quote(partner_id, safe='')}/clients", body)
    return page(request, "secret.html", staff=api.session.staff, client=issued, partner_id=partner_id, status_code=201)


@post("/partners/{partner_id:str}/{action:str}")
async def partner_action(request: Request[Any, Any, Any], partner_id: str, action: str) -> Response[Any]:
    if action not in ("suspend", "reinstate"):
        raise NotFoundException
    api = await staff_api(request)
    await api.post(f"/v1/programme/partners/{quote(partner_id, safe='')}/{action}")
    return Redirect(f"/partners/{quote(partner_id, safe='')}", status_code=303)


@post("/clients/{client_id:str}/rotate")
async def rotate_client(request: Request[Any, Any, Any], client_id: str, data: FormData) -> Template:
    api = await staff_api(request)
    rotated = await api.post(f"/v1/programme/clients/{quote(client_id, safe='')}/rotate-secret")
    return page(request, "secret.html", staff=api.session.staff, client=rotated, partner_id=data.get("partner_id"))


@post("/clients/{client_id:str}/disable")
async def disable_client(request: Request[Any, Any, Any], client_id: str, data: FormData) -> Response[Any]:
    api = await staff_api(request)
    await api.post(f"/v1/programme/clients/{quote(client_id, safe='')}/disable")
    return Redirect(f"/partners/{quote(safe_partner(data.get('partner_id')), safe='')}", status_code=303)


def safe_partner(partner_id: str | None) -> str:
    return partner_id if partner_id and partner_id.replace("_", "").isalnum() else ""


# --- participants and vouchers -------------------------------------------------------------------------------------


@get("/participants")
async def participants(request: Request[Any, Any, Any], q: str | None = None, nik: str | None = None) -> Template:
    api = await staff_api(request)
    require(api.session.staff, "programme:participants")
    params = {k: v.strip() for k, v in (("q", q), ("nik", nik)) if v and v.strip()}
    found = await api.get("/v1/programme/participant-search", params) if params else None
    return page(request, "participants.html", staff=api.session.staff, results=found, q=q or "", searched=bool(params))


@get("/participants/{participant_id:str}")
async def participant(request: Request[Any, Any, Any], participant_id: str) -> Template:
    api = await staff_api(request)
    require(api.session.staff, "programme:participants")
    path = f"/v1/programme/participants/{quote(participant_id, safe='')}"
    person = await api.get(path)
    vouchers = await api.get(f"{path}/vouchers")
    incentive = await api.get(f"{path}/incentive")
    return page(
        request,
        "participant.html",
        staff=api.session.staff,
        person=person,
        vouchers=vouchers,
        incentive=incentive,
        done=request.query_params.get("done"),
    )


@post("/participants/{participant_id:str}/{action:str}")
async def participant_action(
    request: Request[Any, Any, Any], participant_id: str, action: str, data: FormData
) -> Response[Any]:
    if action not in ("freeze", "unfreeze", "review", "revoke"):
        raise NotFoundException
    api = await staff_api(request)
    reason = data.get("reason", "").strip()
    body = None if action == "review" else {"reason": reason or "-"}
    await api.post(f"/v1/programme/participants/{quote(participant_id, safe='')}/{action}", body)
    return Redirect(f"/participants/{quote(participant_id, safe='')}?done=1", status_code=303)


@get("/enrollments/{enrollment_id:str}")
async def enrollment(request: Request[Any, Any, Any], enrollment_id: str) -> Template:
    api = await staff_api(request)
    require(api.session.staff, "programme:participants")
    found = await api.get(f"/v1/programme/enrollments/{quote(enrollment_id, safe='')}")
    return page(request, "enrollment.html", staff=api.session.staff, enrollment=found)


@get("/vouchers")
async def vouchers(request: Request[Any, Any, Any], code: str | None = None) -> Template:
    api = await staff_api(request)
    require(api.session.staff, "programme:participants")
    voucher = None
    history: list[dict[str, Any]] = []
    error = None
    if code and code.strip():
        try:
            voucher = await api.get(f"/v1/programme/vouchers/{quote(code.strip(), safe='')}")
            history = await api.get(f"/v1/programme/vouchers/{quote(code.strip(), safe='')}/history")
        except ApiRefused as refused:
            if refused.status != 404:
                raise
            error = "error.not_found"
    return page(
        request,
        "vouchers.html",
        staff=api.session.staff,
        voucher=voucher,
        history=history,
        code=code or "",
        error=error,
    )


# --- money ---------------------------------------------------------------------------------------------------------

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
STATEMENT_STATUSES = ("open", "closed", "paid")


def _given(**values: str | None) -> dict[str, str]:
    """The filters a form sent, without the empty ones (a GET form sends every field)."""
    return {name: value.strip() for name, value in values.items() if value and value.strip()}


def _period(value: str | None) -> str:
    """A period (`YYYY-MM`) from a form; anything else is a 400 page (the API would refuse it too)."""
    period = (value or "").strip()
    if not PERIOD.match(period):
        raise ValidationException(detail="period")
    return period


@get("/finance")
async def finance(
    request: Request[Any, Any, Any],
    period: str | None = None,
    partner_id: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int | None, QueryParameter(ge=1, le=100)] = None,
    done: str | None = None,
) -> Template:
    api = await staff_api(request)
    require(api.session.staff, "programme:finance")
    filters = _given(period=period, partner_id=partner_id, status=status, limit=str(limit) if limit else None)
    invalid = (
        not PERIOD.match(filters.get("period", "2000-01")) or filters.get("status", "open") not in STATEMENT_STATUSES
    )
    found: dict[str, Any] = {"items": [], "next_cursor": None}
    if not invalid:
        found = await api.get("/v1/programme/statements", {**filters, **({"cursor": cursor} if cursor else {})})
    next_cursor = found.get("next_cursor")
    return page(
        request,
        "finance.html",
        staff=api.session.staff,
        statements=found["items"],
        filters=filters,
        invalid=invalid,
        statuses=STATEMENT_STATUSES,
        next_query=urlencode({**filters, "cursor": next_cursor}) if next_cursor else None,
        done=done if done in ("closed", "paid") else None,
    )


@get("/finance/close")
async def confirm_close(request: Request[Any, Any, Any], period: str | None = None) -> Template:
    """The confirmation step: which open statements closing `period` will freeze, before anything happens."""
    api = await staff_api(request)
    require(api.session.staff, "programme:finance")
    chosen = _period(period)
    found = await api.get("/v1/programme/statements", {"period": chosen, "status": "open", "limit": "100"})
    return page(
        request,
        "finance_close.html",
        staff=api.session.staff,
        period=chosen,
        statements=found["items"],
        more=found.get("next_cursor") is not None,
    )


@post("/finance/close")
async def close_period(request: Request[Any, Any, Any], data: FormData) -> Response[Any]:
    # No role check here: the API refuses a role without programme:finance (a forged post included).
    api = await staff_api(request)
    chosen = _period(data.get("period"))
    await api.post(f"/v1/programme/statements/{quote(chosen, safe='')}/close")
    return Redirect(f"/finance?{urlencode({'period': chosen, 'done': 'closed'})}", status_code=303)


@post("/finance/statements/{statement_id:str}/mark-paid")
async def mark_paid(request: Request[Any, Any, Any], statement_id: str, data: FormData) -> Response[Any]:
    api = await staff_api(request)
    body = {"reference": data.get("reference", "").strip()}
    paid = await api.post(f"/v1/programme/statements/{quote(statement_id, safe='')}/mark-paid", body)
    return Redirect(f"/finance?{urlencode({'period': paid['period'], 'done': 'paid'})}", status_code=303)


@get("/finance/payouts.csv")
async def payouts_csv(request: Request[Any, Any, Any], period: str | None = None) -> Response[str]:
    """The disbursement file, fetched from the API as the staff member and handed to the browser as a download."""
    api = await staff_api(request)
    require(api.session.staff, "programme:finance")
    chosen = _period(period) if period and period.strip() else None
    body = await api.download("/v1/programme/statements/payouts.csv", {"period": chosen} if chosen else None)
    return Response(
        content=body,
        media_type="text/csv; charset=utf-8",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="payouts-{chosen or "all"}.csv"',
        },
    )


# --- audit and reports ---------------------------------------------------------------------------------------------


def jakarta_day_start(value: str | None, *, days_after: int = 0) -> datetime | None:
    """A date from a form as the instant its day starts in Jakarta (plus `days_after` days); None if not a date."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return datetime.combine(day + timedelta(days=days_after), time(), JAKARTA)


@get("/audit")
async def audit_log(
    request: Request[Any, Any, Any],
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
    cursor: str | None = None,
    limit: Annotated[int | None, QueryParameter(ge=1, le=100)] = None,
) -> Template:
    api = await staff_api(request)
    require(api.session.staff, "programme:audit")
    filters = _given(
        entity_type=entity_type, entity_id=entity_id, actor=actor, action=action, limit=str(limit) if limit else None
    )
    dates = _given(**{"from": since, "to": until})
    params = dict(filters)
    invalid = False
    if "from" in dates:
        start = jakarta_day_start(dates["from"])
        invalid = invalid or start is None
        params["from"] = start.isoformat() if start else ""
    if "to" in dates:
        # The form's "to" day is included: the API's `to` is the start of the next day.
        end = jakarta_day_start(dates["to"], days_after=1)
        invalid = invalid or end is None
        params["to"] = end.isoformat() if end else ""
    found: dict[str, Any] = {"items": [], "next_cursor": None}
    if not invalid:
        found = await api.get("/v1/programme/audit", {**params, **({"cursor": cursor} if cursor else {})})
    next_cursor = found.get("next_cursor")
    return page(
        request,
        "audit.html",
        staff=api.session.staff,
        entries=found["items"],
        filters={**filters, **dates},
        invalid=invalid,
        next_query=urlencode({**filters, **dates, "cursor": next_cursor}) if next_cursor else None,
    )


@get("/audit/verification")
async def audit_verification(request: Request[Any, Any, Any]) -> Template:
    """The hash chain recomputed by the API (it reads every seal, so it runs when asked, not on every visit)."""
    api = await staff_api(request)
    require(api.session.staff, "programme:audit")
    result = await api.get("/v1/programme/audit/verification")
    return page(request, "audit_verification.html", staff=api.session.staff, result=result)


REPORT_VOUCHER_ROWS = ("sold", "redeemed", "expired", "voided", "cancelled", "fraudulent", "clawed_back")
REPORT_MONEY_ROWS = ("granted", "spent", "refunded", "lapsed")


@get("/reports/summary")
async def report_summary(
    request: Request[Any, Any, Any],
    since: Annotated[str | None, QueryParameter(name="from")] = None,
    until: Annotated[str | None, QueryParameter(name="to")] = None,
) -> Template:
    api = await staff_api(request)
    require(api.session.staff, "programme:audit")
    today = datetime.now(JAKARTA).date()
    chosen = {"from": (since or "").strip(), "to": (until or "").strip()}
    report = None
    invalid = False
    if chosen["from"] or chosen["to"]:
        start = jakarta_day_start(chosen["from"])
        end = jakarta_day_start(chosen["to"], days_after=1)
        if start is None or end is None or end <= start:
            invalid = True
        else:
            report = await api.get("/v1/programme/reports/summary", {"from": start.isoformat(), "to": end.isoformat()})
    else:
        chosen = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    columns = [*(report["schemes"] if report else []), *([report["total"]] if report else [])]
    return page(
        request,
        "report.html",
        staff=api.session.staff,
        chosen=chosen,
        invalid=invalid,
        report=report,
        columns=columns,
        voucher_rows=REPORT_VOUCHER_ROWS,
        money_rows=REPORT_MONEY_ROWS,
    )


# --- errors --------------------------------------------------------------------------------------------------------


def _staff_seen(request: Request[Any, Any, Any]) -> StaffIdentity | None:
    """Who this request's session belongs to, if it was loaded (exception handlers cannot query)."""
    staff = request.state.get("staff")
    return staff if isinstance(staff, StaffIdentity) else None


def login_required(request: Request[Any, Any, Any], _: LoginRequired) -> Response[Any]:
    target = request.url.path
    where = "/login" if request.method != "GET" or target == "/" else f"/login?next={quote(target)}"
    return Redirect(where, status_code=303)


def session_ended(request: Request[Any, Any, Any], _: SessionEnded) -> Response[Any]:
    response: Response[Any] = Redirect("/login?ended=true", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def api_refused(request: Request[Any, Any, Any], exc: ApiRefused) -> Response[Any]:
    status = exc.status if exc.status in (400, 403, 404, 409, 422, 429) else 502
    return page(request, "error.html", staff=_staff_seen(request), status_code=status, problem=exc, message=None)


def api_unreachable(request: Request[Any, Any, Any], exc: httpx.HTTPError) -> Response[Any]:
    return page(
        request, "error.html", staff=_staff_seen(request), status_code=502, problem=None, message="error.unreachable"
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    messages = {400: "error.invalid", 403: "error.forbidden", 404: "error.not_found"}
    message = messages.get(exc.status_code, "error.title")
    if exc.status_code == 403 and "csrf" in str(exc.detail).lower():
        message = "error.csrf"
    return page(
        request, "error.html", staff=_staff_seen(request), status_code=exc.status_code, problem=None, message=message
    )


# --- the app -------------------------------------------------------------------------------------------------------


def _add_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["rupiah"] = rupiah
    engine.engine.filters["moment"] = moment


def create_portal(settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None) -> Litestar:
    """The portal for `settings` (a transport may stand in for the network, e.g. an in-process API in tests)."""

    @asynccontextmanager
    async def resources(app: Litestar) -> AsyncGenerator[None, None]:
        pool = await asyncpg.create_pool(settings.database_url, min_size=0, max_size=5)
        await SessionStore.create_table(pool)
        store = SessionStore(pool, settings.secret_key, settings.idle_timeout_seconds)
        await store.sweep()
        async with httpx.AsyncClient(base_url=settings.api_url, timeout=15, transport=transport) as http:
            app.state.settings = settings
            app.state.store = store
            app.state.api = PortalApi(http, settings.client_id, settings.client_secret)
            try:
                yield
            finally:
                await pool.close()

    return Litestar(
        route_handlers=[
            login_form,
            log_in,
            log_out,
            choose_language,
            dashboard,
            curation,
            course_under_review,
            approve,
            reject,
            partners,
            create_partner,
            partner,
            issue_client,
            partner_action,
            rotate_client,
            disable_client,
            participants,
            participant,
            participant_action,
            enrollment,
            vouchers,
            finance,
            confirm_close,
            close_period,
            mark_paid,
            payouts_csv,
            audit_log,
            audit_verification,
            report_summary,
            create_static_files_router(path="/static", directories=[HERE / "static"]),
        ],
        lifespan=[resources],
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_add_filters
        ),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="portal_csrf",
            cookie_secure=True,
            cookie_httponly=True,
            cookie_samesite="strict",
        ),
        exception_handlers={
            LoginRequired: login_required,
            SessionEnded: session_ended,
            ApiRefused: api_refused,
            HTTPException: http_error,
            httpx.HTTPError: api_unreachable,
        },
        debug=False,
    )
