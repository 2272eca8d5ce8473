"""Where the internal app may listen: fail closed without sign-in.

Without an ``[auth]`` section in the secrets, the internal app has no sign-in and shows
everything (every KPI, the admin page) to whoever reaches it, so it listens on this
computer only (a loopback address).  An operator who really wants the app on the network
without sign-in must say so with a flag whose name says what it does
(``--allow-network-without-sign-in``), and the app then says so on every page.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Iterable
from pathlib import Path

#: Set by ``statdesk run --allow-network-without-sign-in`` for the app it starts.
OPEN_ENV = "STATDESK_NETWORK_WITHOUT_SIGN_IN"
FLAG = "--allow-network-without-sign-in"


def is_loopback(address: str | None) -> bool:
    """True for addresses only this computer can reach (127.0.0.0/8, ::1, localhost)."""
    if address is None:
        return False
    text = address.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def secrets_files(cwd: Path | None = None) -> list[Path]:
    """Where Streamlit reads secrets from: the user's and the working folder's .streamlit."""
    here = cwd or Path.cwd()
    return [Path.home() / ".streamlit" / "secrets.toml", here / ".streamlit" / "secrets.toml"]


def auth_configured(files: Iterable[Path] | None = None) -> bool:
    """Whether any secrets file has a non-empty ``[auth]`` section (sign-in is on)."""
    for f in files if files is not None else secrets_files():
        try:
            data = tomllib.loads(f.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        section = data.get("auth")
        if isinstance(section, dict) and section:
            return True
    return False


def open_without_sign_in() -> bool:
    """The operator started the app with the flag that allows the network without sign-in."""
    return os.environ.get(OPEN_ENV) == "1"


def refusal(address: str, *, auth: bool, allow_open: bool) -> str | None:
    """Why the internal app may not listen on ``address`` (None when it may)."""
    if auth or is_loopback(address) or allow_open:
        return None
    return (f"sign-in is not configured (no [auth] section in .streamlit/secrets.toml), so the "
            f"internal app would show every KPI and the admin page to anyone who can reach "
            f"{address}. Nothing was started. Configure sign-in (see the README), listen on "
            f"127.0.0.1, or pass {FLAG} if you really mean to serve it to the network "
            "without sign-in.")


__all__ = ["FLAG", "OPEN_ENV", "auth_configured", "is_loopback", "open_without_sign_in",
           "refusal", "secrets_files"]
