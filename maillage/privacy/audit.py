"""Appending to the audit log: ``record()`` for any app, plus the automatic entries (logins,
failed logins, logouts, refused accesses).

Entries carry codes, counts and identifiers, never free text typed by a person nor secrets:
``record`` rejects long strings and e-mail addresses in ``details``, and a failed login keeps
only a truncated hash of the address that was typed (enough to spot an attack on one account,
useless to read back the address).
"""

import contextlib
import contextvars
import hashlib
import logging
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.signals import request_started
from django.db import DatabaseError, models
from django.db.backends.signals import connection_created
from django.http import HttpRequest

from .models import AuditAction, AuditEvent

logger = logging.getLogger(__name__)

MAX_DETAIL_LENGTH = 64
Scalar = str | int | float | bool | None

# Set while ``manage.py flush`` (tests, resets) empties the whole database: the SQLite trigger
# asks this flag through a function registered on each connection (see migration 0002).
_flush_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "maillage_audit_flush_allowed", default=False
)
SQLITE_FLUSH_FUNCTION = "maillage_audit_flush_allowed"


@contextlib.contextmanager
def flush_allowed() -> Iterator[None]:
    token = _flush_allowed.set(True)
    try:
        yield
    finally:
        _flush_allowed.reset(token)


def _check_detail(key: str, value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_check_detail(key, item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        if len(value) > MAX_DETAIL_LENGTH or "@" in value or "\n" in value:
            raise ValueError(f"audit detail {key!r} looks like free text: codes and ids only")
        return value
    raise TypeError(f"audit detail {key!r} must be a code, a number or a list of them")


def client_ip(request: HttpRequest | None) -> str | None:
    """The peer address as seen by Django (set the proxy to pass it as REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    actor: Any,
    obj: models.Model | None = None,
    *,
    ip: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Append one event. ``actor`` may be None or an anonymous user (system, visitor).

    Other apps call it for their sensitive actions, e.g.
    ``record(AuditAction.EXPORT, user, call, format="xlsx", rows=120)``.
    """
    checked = {key: _check_detail(key, value) for key, value in details.items()}
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        action=str(action),
        actor=actor,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=ip,
        details=checked,
    )


def email_digest(email: str) -> str:
    """A truncated SHA-256 of the typed address: groups attempts without storing it."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(AuditAction.LOGIN, user, ip=client_ip(request))


def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(AuditAction.LOGOUT, user, ip=client_ip(request))


def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django already masks the password in ``credentials``; we keep none of it anyway.
    typed = str(credentials.get("username") or credentials.get("email") or "")
    record(
        AuditAction.LOGIN_FAILED,
        None,
        ip=client_ip(request),
        account=email_digest(typed) if typed else None,
    )


class RefusalHandler(logging.Handler):
    """Records 403 responses: Django logs every 4xx response on ``django.request`` with the
    request attached, so listening there catches refusals from every view (decorators,
    PermissionDenied, CSRF failures) without a middleware, at the cost of one insert."""

    def emit(self, record_: logging.LogRecord) -> None:
        if getattr(record_, "status_code", None) != 403:
            return
        request = getattr(record_, "request", None)
        if not isinstance(request, HttpRequest):
            return
        user = getattr(request, "user", None)
        # The view's name and integer arguments only: paths may hold one-time tokens.
        match = request.resolver_match
        view = match.view_name[:MAX_DETAIL_LENGTH] if match else ""
        ids: dict[str, Any] = {
            f"arg_{key}": value
            for key, value in (match.kwargs if match else {}).items()
            if isinstance(value, int)
        }
        try:
            record(
                AuditAction.ACCESS_REFUSED,
                user,
                ip=client_ip(request),
                view=view,
                method=request.method or "",
                **ids,
            )
        except (DatabaseError, ValueError):
            # Never turn a refusal into a server error; the refusal is in the server log.
            logger.exception("could not record a refused access")


_refusal_handler = RefusalHandler(level=logging.WARNING)


def _register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_FLUSH_FUNCTION, 0, lambda: _flush_allowed.get(), deterministic=False
        )


def _ensure_refusal_handler(**kwargs: Any) -> None:
    # Checked at each request, not only once: a later django.setup() (wsgi.py calls it)
    # reapplies the logging configuration, which strips handlers from "django.*" loggers.
    request_logger = logging.getLogger("django.request")
    if _refusal_handler not in request_logger.handlers:
        request_logger.addHandler(_refusal_handler)


def connect() -> None:
    uid = "privacy-audit"
    user_logged_in.connect(_logged_in, dispatch_uid=uid)
    user_logged_out.connect(_logged_out, dispatch_uid=uid)
    user_login_failed.connect(_login_failed, dispatch_uid=uid)
    connection_created.connect(_register_sqlite_function, dispatch_uid=uid)
    request_started.connect(_ensure_refusal_handler, dispatch_uid=uid)
    _ensure_refusal_handler()
