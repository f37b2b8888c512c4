"""The application layer's error messages in the page's language.

The application layer speaks English (the CLI, the logs and the REST API show its messages as they
are), and its messages carry values: `f"no user {extension!r} in {tenant.domain}"`. The portal shows
them next to Spanish labels, so each message is translated by its pattern:

- `patterns()` reads the source with `ast` and turns the message argument of every InvalidInput,
  Conflict, NotFound, Forbidden, BadLine, RecordingFailed and feature-code CodeProblem (and of the ValueErrors of the
  pure `rules.py` modules, which the application layer forwards) into a gettext msgid whose values
  are named placeholders: `no user %(extension)s in %(domain)s`. catalogs.py puts them into the Spanish catalog under the
  context `app error`, where they are translated like any other string (and checked: a translation
  must keep every placeholder).
- `translate(message)` finds the pattern a message was made from (a regular expression per msgid
  of the catalog, the one with the most fixed text first), and fills the translation with the
  values it captured, as they were written: `no hay ningún usuario '1001' en acme.example.com`.

A message no pattern matches is shown as it came (English): nothing is lost, only not translated.
"""
from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.mofile import read_mo
from flask_babel import get_locale, pgettext

CONTEXT = "app error"
SOURCE = Path(__file__).resolve().parent.parent  # fs_plugins/
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# The calls whose argument at this position is a message a person may read on a page.
MESSAGE_ARGUMENT = {"InvalidInput": 1, "Conflict": 1, "NotFound": 1, "Forbidden": 0, "BadLine": 2, "CodeProblem": 1,
                    "RecordingFailed": 0}  # (a recording job's reason, shown in the portal's dialog)
RULES_ERRORS = {"ValueError": 0}  # only in rules.py: the pure decisions whose messages the app forwards
# Where no page's message comes from: the other front ends (command line, REST API), the emulator, and
# the settings and tools of the servers themselves. Their messages stay English, as the CLI shows them.
NOT_SHOWN = ("portal", "cli.py", "commands", "api", "sim", "ops", "kamailio", "config.py", "db.py", "logs.py",
             "launcher.py", "demo.py")
NESTED = "message"  # a placeholder holding another error's message (`exc.message + " (…)"`) is translated too
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


# --- build time: the patterns in the source -------------------------------------------------------

def patterns(root: Path = SOURCE) -> dict[str, list[str]]:
    """Every message pattern of the application layer, with where it is written ("path:line")."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if set(path.relative_to(root).parts) & set(NOT_SHOWN):
            continue  # (the portal's own messages go through gettext already)
        calls = dict(MESSAGE_ARGUMENT, **(RULES_ERRORS if path.name == "rules.py" else {}))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            message = _message_argument(node, calls)
            pattern = _pattern(message) if message is not None else None
            if pattern:
                found.setdefault(pattern, []).append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def _message_argument(node: ast.AST, calls: dict[str, int]) -> ast.expr | None:
    if not isinstance(node, ast.Call):
        return None
    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
    position = calls.get(name)
    if position is None or len(node.args) <= position:
        return None
    return node.args[position]


def _pattern(expr: ast.expr) -> str | None:
    """The msgid of a message expression, or None when it has no fixed English text of its own."""
    parts = _parts(expr)
    if parts is None or not any(re.search(r"[A-Za-z]", p) for p in parts if isinstance(p, str)):
        return None
    names: dict[str, int] = {}
    text = []
    for part in parts:
        if isinstance(part, str):
            text.append(part.replace("%", "%%"))
        else:
            name = _name(part)
            names[name] = names.get(name, 0) + 1
            text.append(f"%({name}{f'_{names[name]}' if names[name] > 1 else ''})s")
    return "".join(text)


def _parts(expr: ast.expr) -> list | None:
    """Fixed text (str) and values (expressions) in order; None for a message made elsewhere."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.JoinedStr):
        return [v.value for v in expr.values]  # a Constant's text or a FormattedValue's expression
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left, right = _parts(expr.left), _parts(expr.right)
        return None if left is None and right is None else (left or [expr.left]) + (right or [expr.right])
    return None


def _name(expr: ast.expr) -> str:
    """A placeholder's name a translator can read: `tenant.domain` → domain, `', '.join(KINDS)` → kinds."""
    if isinstance(expr, ast.Name):
        return expr.id.lower().strip("_") or "value"
    if isinstance(expr, ast.Attribute):
        return expr.attr.lower().strip("_") or "value"
    if isinstance(expr, ast.Subscript):
        key = expr.slice
        return str(key.value) if isinstance(key, ast.Constant) and isinstance(key.value, str) else _name(expr.value)
    if isinstance(expr, ast.Call):
        if expr.args:
            return _name(expr.args[0])
        return _name(expr.func.value if isinstance(expr.func, ast.Attribute) else expr.func)  # text.strip() → text
    if isinstance(expr, ast.BinOp):
        return _name(expr.left)
    return "value"


# --- run time: a message in the page's language ---------------------------------------------------

@dataclass(frozen=True)
class _Pattern:
    msgid: str
    regex: re.Pattern
    names: tuple[str, ...]


def translate(message: str) -> str:
    """`message` (an application error's text) in the page's language; as it is when no pattern fits."""
    language = str(get_locale() or "")
    if not message or language not in _languages():
        return message
    for pattern in _matchers(language):
        found = pattern.regex.fullmatch(message)
        if found:
            values = {name: translate(value) if name.rstrip("0123456789") == NESTED else value
                      for name, value in zip(pattern.names, found.groups())}
            return pgettext(CONTEXT, pattern.msgid) % values  # also turns the msgid's %% back into %
    return message


@functools.lru_cache(maxsize=None)
def _languages() -> frozenset[str]:
    return frozenset(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES" / "messages.mo").exists())


@functools.lru_cache(maxsize=None)
def _matchers(language: str) -> tuple[_Pattern, ...]:
    """The translated patterns of `language`'s catalog, the most specific (most fixed text) first."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        catalog = read_mo(handle)
    found = [_matcher(str(m.id)) for m in catalog if m.context == CONTEXT and m.id and m.string]
    return tuple(sorted(found, key=lambda p: -len(_PLACEHOLDER.sub("", p.msgid))))


def _matcher(msgid: str) -> _Pattern:
    regex, names, end = [], [], 0
    for placeholder in _PLACEHOLDER.finditer(msgid):
        regex.append(re.escape(msgid[end:placeholder.start()]))
        if placeholder.group(1):
            names.append(placeholder.group(1))
            regex.append("(.*?)")
        else:
            regex.append("%")
        end = placeholder.end()
    regex.append(re.escape(msgid[end:]))
    return _Pattern(msgid, re.compile("".join(regex), re.S), tuple(names))
