"""Checks of the row-level security options of ``gen-measures query`` and ``validate`` (one sentence each)."""

from __future__ import annotations

from collections.abc import Sequence

from generator.errors import ToolError


def check_role_options(roles: Sequence[str] | None, user: str | None) -> None:
    """ToolError for ``--user`` without ``--role``, ``--role`` without ``--user`` or an empty role or user."""
    if user is not None and not roles:
        raise ToolError("--user needs --role: without a role every row is visible, whoever the user is")
    if roles and user is None:
        raise ToolError("--role needs --user: the user principal name the role is evaluated for "
                        "(what USERPRINCIPALNAME() returns)")
    if roles and not all(role.strip() for role in roles):
        raise ToolError("--role must name a role of the model, not an empty string")
    if user is not None and not user.strip():
        raise ToolError("--user must be a user principal name, not an empty string")
