"""How a view answers: a whole page in the portal's layout, with what a change did or the errors it
met shown where the person looks for them.

A form post calls one application function through `attempt`: on success the page says what was
done (a status message, read out by screen readers); on bad input the error stays next to the field
the application named, with the application's own message in the page's language (app_errors.py),
and nothing was stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import g, render_template

from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.portal import app_errors, menu, translated


@dataclass
class Outcome:
    value: Any = None
    notice: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def refused(cls, exc: InvalidInput | NotFound, field: str | None = None) -> "Outcome":
        """The application's refusal, next to `field` (the one it named) in the page's language."""
        return cls(errors={field or exc.field: app_errors.translate(exc.message)})


def attempt(change: Callable[[], Any], notice: Callable[[Any], str] | str) -> Outcome:
    try:
        value = change()
    except (InvalidInput, NotFound) as exc:
        return Outcome.refused(exc)
    return Outcome(value, notice(value) if callable(notice) else notice)


def page(template: str, status: int | None = None, outcome: Outcome | None = None, **values):
    """The page `template` in the layout; 422 when the outcome holds errors (htmx swaps it in too)."""
    outcome = outcome or Outcome()
    values.setdefault("errors", outcome.errors)
    values.setdefault("notice", outcome.notice)
    principal = g.get("principal")
    shown = menu.for_caller(principal) if principal else None
    compiled = translated.page_environment().get_template(template)  # in the page's language
    body = render_template(compiled, principal=principal, tenant=g.get("tenant_row"),
                           menu=shown.sections if shown else (), menu_nav=shown.nav if shown else "", **values)
    return body, status or (422 if outcome.errors else 200)
