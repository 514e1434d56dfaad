"""What keeps the local web app local: Host check (DNS rebinding), CSRF tokens, paths confined to their folder."""
from __future__ import annotations

import hmac
import re
import secrets
from pathlib import Path

from flask import abort, request, session

ALLOWED_HOST = re.compile(r"^(localhost|127\.0\.0\.1)(:\d{1,5})?$")
PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}\.ya?ml$")
CSRF_FIELD = "_csrf"


def host_is_local(host: str | None) -> bool:
    """A page served to another name (a rebinding attacker's domain) must not talk to this server."""
    return bool(host) and bool(ALLOWED_HOST.match(host))


def csrf_token() -> str:
    token = session.get(CSRF_FIELD)
    if not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    expected = session.get(CSRF_FIELD) or ""
    if not expected or not hmac.compare_digest(sent, expected):
        abort(403, description="This form has expired or did not come from this app (missing or wrong security "
                               "token). Go back, reload the page and try again.")


def inside(folder: Path, *parts: str) -> Path:
    """folder/parts, refused (404) when it leaves the folder or passes through a symbolic link."""
    root = folder.resolve()
    target = root.joinpath(*parts)
    if any(p in ("..", "") or "/" in p or "\\" in p or "\x00" in p for p in parts):
        abort(404)
    current = root
    for p in parts:
        current = current / p
        if current.is_symlink():
            abort(404)
    if root != target.resolve().parent and root not in target.resolve().parents:
        abort(404)
    return target


def profile_path(folder: Path, name: str) -> Path:
    """The profile file `name` directly in `folder`; anything else is a 404."""
    if not PROFILE_NAME.match(name) or name.startswith("."):
        abort(404)
    path = inside(folder, name)
    if not path.is_file():
        abort(404)
    return path
