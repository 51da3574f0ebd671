"""Help pages in click's conventions, which Typer's rich help has dropped (typer 0.29).

Typer prints a type after every flag (``--help <bool>``, ``--json <bool>``: a flag takes no
value) and wraps required arguments in braces in the usage line (``{campaign_id}``, read as a
template placeholder). We show flags bare and arguments as ``CAMPAIGN_ID`` / ``[NAME]``.
tests/cli/test_help.py walks every command's --help and keeps these rules true.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

_option_type = TyperOption.display_type_rich


def _flag_has_no_type(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag:
        return None
    return _option_type(self, ctx)


def _usage_name(self: TyperArgument) -> str:
    name = (self.metavar or self.name or "").upper()
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


def install() -> None:
    TyperOption.display_type_rich = _flag_has_no_type  # type: ignore[method-assign]
    TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]
