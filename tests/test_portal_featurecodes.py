"""The customer's feature codes and pickup groups in the portal's admin space: the table in the
tenant's language, a change or a reset through featurecodes.app (audited as the login), a bad code
shown next to its field with nothing stored, and another customer's page that does not exist."""
from __future__ import annotations

from fs_plugins.models.audit import AuditEntry
from fs_plugins.models.featurecodes import FeatureCode, PickupMember
from tests.api_world import OTHER, OWN, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, USER, browser, world  # noqa: F401

PAGE = f"/t/{OWN}/feature-codes"


def test_the_admin_sees_every_code_in_spanish_and_changes_one(browser):
    browser.sign_in(ADMIN)
    html = browser.get(PAGE).data.decode()
    assert "Códigos de servicio" in html and "Activar no molestar" in html and 'value="*78"' in html
    done = browser.submit(PAGE, {"code": "*4", "action": "save"}, action=f"{PAGE}/dnd_on")
    assert done.status_code == 200 and 'value="*4"' in done.data.decode()
    assert [(row.feature, row.code) for row in FeatureCode.select()] == [("dnd_on", "*4")]
    assert AuditEntry.get(AuditEntry.action == "featurecode.update").actor == f"login {ADMIN}"
    reset = browser.submit(PAGE, {"code": "", "action": "reset"}, action=f"{PAGE}/dnd_on")
    assert reset.status_code == 200 and FeatureCode.select().count() == 0


def test_a_clashing_code_is_shown_next_to_its_field_and_nothing_is_stored(browser):
    browser.sign_in(ADMIN)
    refused = browser.submit(PAGE, {"code": "*79", "action": "save"}, action=f"{PAGE}/dnd_on")
    html = refused.data.decode()
    assert refused.status_code == 422 and 'id="e-code-dnd_on"' in html and "dnd_off" in html
    assert "field-error\">*79 ya es el código de " in html  # the rules' reason, in the page's language
    assert FeatureCode.select().count() == 0


def test_a_pickup_group_is_set_from_the_page(browser):
    browser.sign_in(ADMIN)
    done = browser.submit(PAGE, {"group": "Ventas"}, action=f"/t/{OWN}/pickup/1001")
    assert done.status_code == 200 and [m.group for m in PickupMember.select()] == ["Ventas"]


def test_a_user_cannot_open_the_page(browser):
    browser.sign_in(USER)
    assert browser.get(PAGE).status_code in (403, 404)


def test_another_customers_page_does_not_exist_for_an_admin(browser):
    browser.sign_in(ADMIN)
    assert browser.get(f"/t/{OTHER}/feature-codes").status_code == 404


def test_a_user_sees_the_codes_that_change_their_forwards_from_the_phone(browser):
    browser.sign_in(USER)
    html = browser.get("/me/forwards").data.decode()
    assert "Desde su teléfono" in html and "<kbd>*78</kbd>" in html and "Activar no molestar" in html


def test_the_group_page_marks_a_member_who_logged_out_from_the_phone(browser):
    from fs_plugins.config import Config
    from fs_plugins.featurecodes import app
    from fs_plugins.models import Tenant
    from tests import provision

    row = provision.group(Tenant.get(Tenant.domain == OWN), "Ventas", ("1001", "1002"))
    app.dial_from_phone(Config(), OWN, "1001", "queue_logout")
    browser.sign_in(ADMIN)
    html = browser.get(f"/t/{OWN}/groups/{row.id}").data.decode()
    assert html.count("desconectado (*51): no suena") == 1


def test_every_feature_reads_in_spanish_on_the_page(browser):
    """A feature without a label of its own would show the CLI's English description (paging did)."""
    from fs_plugins.featurecodes.kinds import FEATURES

    browser.sign_in(ADMIN)
    html = browser.get(PAGE).data.decode().lower()
    english = [feature.name for feature in FEATURES if feature.description.lower() in html]
    assert english == []
    assert "hablar por los altavoces del grupo de llamada" in html
