"""The users table: who may sign in, with which role and agency.

E-mail addresses are stored lower-case and compared lower-case. Removing a user
deactivates them (the audit log keeps naming them); adding them again reactivates
them. Every change writes an audit entry in the same transaction.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from metrics import audit
from metrics.access import AGENCY_LEAD, ROLES, AccessError, Viewer, operator, require_edit
from metrics.definitions import Register
from metrics.store.tables import AppUser

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserError(ValueError):
    """A user that cannot be added or changed; the message says what to do."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_user(email: str, role: str, agency_id: str = "",
               register: Register | None = None) -> list[str]:
    """Every problem with a would-be user, in words (empty when the user is fine)."""
    problems: list[str] = []
    if not EMAIL.match(normalise_email(email)):
        problems.append(f"'{email}' is not an e-mail address (write name@agency.gov).")
    if role not in ROLES:
        problems.append(f"unknown role '{role}'; use one of {', '.join(ROLES)}.")
    if role == AGENCY_LEAD and not agency_id:
        problems.append("an agency lead needs an agency (--agency, e.g. doh).")
    if agency_id and register is not None and agency_id not in register.agencies:
        problems.append(f"unknown agency '{agency_id}'; use one of "
                        f"{', '.join(sorted(register.agencies))}.")
    return problems


def get_user(session: Session, email: str) -> AppUser | None:
    return session.exec(select(AppUser).where(AppUser.email == normalise_email(email))).first()


def add_user(session: Session, email: str, role: str, *, agency_id: str = "", name: str = "",
             acting: Viewer, register: Register | None = None, actor: str = "",
             now: datetime | None = None) -> AppUser:
    """Add a user, or update (and reactivate) an existing one; commits. Raises UserError.

    ``acting`` must be an administrator (or the operator on the workspace's computer).
    """
    require_edit(acting, "users")
    actor = actor or acting.email
    problems = check_user(email, role, agency_id, register)
    if problems:
        raise UserError(" ".join(problems))
    when = now or datetime.now(UTC)
    addr = normalise_email(email)
    user = get_user(session, addr)
    if user is None:
        user = AppUser(email=addr, name=name, role=role, agency_id=agency_id, active=True,
                       created_at=when, updated_at=when, updated_by=actor)
        action = "create"
    else:
        user.name = name or user.name
        user.role, user.agency_id, user.active = role, agency_id, True
        user.updated_at, user.updated_by = when, actor
        user.version = (user.version or 1) + 1
        action = "update"
    session.add(user)
    audit.record(session, actor=actor, action=action, entity="user", entity_id=addr,
                 detail=f"role={role} agency={agency_id or '-'}", at=when)
    session.commit()
    session.refresh(user)
    return user


def remove_user(session: Session, email: str, *, acting: Viewer, actor: str = "",
                now: datetime | None = None) -> AppUser:
    """Deactivate a user (they can no longer sign in); commits. Raises UserError if unknown."""
    require_edit(acting, "users")
    actor = actor or acting.email
    user = get_user(session, email)
    if user is None:
        raise UserError(f"no user '{normalise_email(email)}'; 'statdesk users list' shows them.")
    when = now or datetime.now(UTC)
    user.active = False
    user.updated_at, user.updated_by = when, actor
    user.version = (user.version or 1) + 1
    session.add(user)
    audit.record(session, actor=actor, action="deactivate", entity="user",
                 entity_id=user.email, at=when)
    session.commit()
    session.refresh(user)
    return user


def acting_user(session: Session, by: str = "") -> Viewer:
    """Who a command acts as: the active user ``by`` names, else the operator on this computer.

    A command run with ``--by lead@agency.gov`` has that user's rights, and is refused what
    their role does not allow; without ``--by`` it is the operator, who owns the workspace.
    """
    if by:
        found = viewer_for(session, by)
        if found is not None:
            return found
    return operator(by)


def list_users(session: Session, *, include_inactive: bool = True) -> list[AppUser]:
    q = select(AppUser)
    if not include_inactive:
        q = q.where(AppUser.active == True)  # noqa: E712 - SQL expression
    return list(session.exec(q.order_by(col(AppUser.email))))


def viewer_for(session: Session, email: str | None) -> Viewer | None:
    """The viewer for a signed-in address, or None if unknown, inactive or misconfigured."""
    if not email:
        return None
    user = get_user(session, email)
    if user is None or not user.active:
        return None
    try:
        return Viewer(email=user.email, role=user.role, agency_id=user.agency_id, name=user.name)
    except AccessError:
        return None


__all__ = ["UserError", "check_user", "get_user", "add_user", "remove_user", "list_users",
           "viewer_for", "normalise_email", "acting_user"]
