"""The application layer's error messages on the portal's pages in the page's language: the patterns
read from the source with ast, each with a Spanish translation that keeps its values, and the pages
showing the Spanish text next to the field while the REST API keeps English."""
from __future__ import annotations

import io
import textwrap

import pytest
from flask import Flask
from flask_babel import Babel

from fs_plugins.models import User
from fs_plugins.portal import app_errors, catalogs
from tests.api_world import OWN, api_client, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, browser, csrf_of, world  # noqa: F401 (fixtures)


def _patterns_of(tmp_path, source: str) -> dict[str, list[str]]:
    (tmp_path / "feature").mkdir()
    (tmp_path / "feature" / "app.py").write_text(textwrap.dedent(source))
    return app_errors.patterns(tmp_path)


def test_a_message_with_values_becomes_a_pattern_with_named_placeholders(tmp_path):
    found = _patterns_of(tmp_path, """
        def f(tenant, extension, limit, kinds):
            raise NotFound("extension", f"no user {extension!r} in {tenant.domain}")
            raise InvalidInput("name", f"at most {limit:d} characters, 100% {', '.join(kinds)}")
            raise Conflict("a", "the file is empty")
            raise InvalidInput("b", f"{extension}{limit}")  # no text of its own: nothing to translate
            raise InvalidInput("c", exc.message + " (upload it first)")
            problems.append(BadLine(1, "header", f"same field as column {seen[key]!r}"))
    """)
    assert sorted(found) == ["%(message)s (upload it first)",
                             "at most %(limit)s characters, 100%% %(kinds)s",
                             "no user %(extension)s in %(domain)s",
                             "same field as column %(seen)s",
                             "the file is empty"]
    assert found["the file is empty"] == [f"{tmp_path.name}/feature/app.py:5"]


def test_value_errors_count_only_in_the_pure_rules_modules_and_the_other_front_ends_are_left_out(tmp_path):
    for folder, name in (("feature", "rules.py"), ("feature", "util.py"), ("api", "app.py"), ("portal", "x.py")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text(f'raise ValueError("{folder} {name}")\nraise NotFound("f", "in {name}")')
    assert sorted(app_errors.patterns(tmp_path)) == ["feature rules.py", "in rules.py", "in util.py"]


def test_every_message_of_the_application_layer_has_a_spanish_translation_keeping_its_values():
    found = app_errors.patterns()
    assert len(found) > 200, "the extraction lost the application's messages"
    spanish = {str(m.id): m for m in catalogs.read("es") if m.context == app_errors.CONTEXT}
    missing = {text: where for text, where in found.items() if not (spanish.get(text) and spanish[text].string)}
    assert not missing, f"translate them in messages.po (python -m fs_plugins.portal.catalogs): {missing}"
    problems = [(m.id, str(error)) for m, errors in catalogs.read("es").check() for error in errors]
    assert problems == []


def test_a_new_message_without_a_translation_fails_the_catalog_check(tmp_path, monkeypatch):
    real = app_errors.patterns()
    monkeypatch.setattr(app_errors, "patterns", lambda: {**real, "a message nobody translated %(x)s": ["here"]})
    spanish = {str(m.id) for m in catalogs.read("es") if m.string}
    assert "a message nobody translated %(x)s" in {str(m.id) for m in catalogs.source_catalog()} - spanish


@pytest.fixture
def spanish():
    app = Flask(__name__)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(app_errors.TRANSLATIONS)
    Babel(app, locale_selector=lambda: "es")
    with app.test_request_context("/"):
        yield app_errors.translate


@pytest.mark.parametrize("english, expected", [
    ("no user '4711' in acme.example.com", "no hay ningún usuario '4711' en acme.example.com"),
    ("must be 2 to 6 digits", "debe tener de 2 a 6 dígitos"),  # not the looser 'must be %(value)s'
    ("must be one of day, week, month", "debe ser uno de day, week, month"),
    ("too long: 301 s, the limit is 300 s", "demasiado largo: 301 s, el límite es 300 s"),
    ("no audio file 'hola' in acme.example.com (upload it to the audio library first)",
     "no hay ningún fichero de audio 'hola' en acme.example.com (súbalo antes a la biblioteca de audio)"),
    ("something no pattern knows", "something no pattern knows"),
    ("", ""),
])
def test_a_message_is_shown_in_spanish_with_its_values_as_written(spanish, english, expected):
    assert spanish(english) == expected


def test_a_value_that_looks_like_a_placeholder_is_shown_as_typed(spanish):
    typed = "'%(x)s 100%'"
    assert spanish(f"no user {typed} in acme.example.com") == f"no hay ningún usuario {typed} en acme.example.com"


def test_an_english_page_keeps_the_message():
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: "en")
    with app.test_request_context("/"):
        assert app_errors.translate("must be 2 to 6 digits") == "must be 2 to 6 digits"


@pytest.mark.parametrize("form, field, spanish_text", [
    ({"extension": "12a", "name": "Eva", "email": ""}, "extension",
     "'12a' debe tener de 2 a 6 dígitos, sin empezar por 0"),
    ({"extension": "1001", "name": "Eva", "email": ""}, "extension", f"1001 ya es un usuario de {OWN}"),
    ({"extension": "1009", "name": "Eva", "email": "not-an-address"}, "email",
     "'not-an-address' no es una dirección de correo electrónico"),
])
def test_a_spanish_page_shows_the_applications_refusal_in_spanish_next_to_its_field(browser, form, field,
                                                                                      spanish_text):
    browser.sign_in(ADMIN)
    response = browser.submit(f"/t/{OWN}/users", form)
    html = response.data.decode()
    assert response.status_code == 422 and User.select().where(User.extension == "1009").count() == 0
    assert f'<small id="e-{field}" class="field-error">{_escaped(spanish_text)}</small>' in html


def test_an_english_page_shows_the_same_refusal_in_english(browser):
    browser.sign_in(ADMIN)
    browser.submit("/", {"language": "en", "next": "/"}, action="/language")
    html = browser.submit(f"/t/{OWN}/users", {"extension": "12a", "name": "Eva", "email": ""}).data.decode()
    assert ('<small id="e-extension" class="field-error">&#39;12a&#39; must be 2 to 6 digits, not starting with 0'
            '</small>') in html


def test_the_rest_api_keeps_the_english_message(world):
    response = api_client()[1].post(f"/api/v1/tenants/{OWN}/users", json={"extension": "12a", "name": "Eva"},
                                    headers=world.headers("tenant-admin", **{"Accept-Language": "es"}))
    assert response.status_code == 422 and "'12a' must be 2 to 6 digits" in response.get_data(as_text=True)


def test_a_bad_line_of_a_contact_import_reads_in_spanish(browser):
    browser.sign_in()
    upload = "nombre,móvil\nAna,+34 600 000 001\nBea,llámame\n".encode()
    response = browser.client.post("/me/contacts/import", data={
        "csrf_token": csrf_of(browser.get("/me/contacts/import").data), "duplicates": "skip",
        "file": (io.BytesIO(upload), "contactos.csv")}, content_type="multipart/form-data")
    html = response.data.decode()
    assert "<td>3</td>" in html and "no es un número de teléfono" in html and "is not a phone number" not in html


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;").replace("<", "&lt;")
