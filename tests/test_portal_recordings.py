"""Call recordings in the portal: a user hears and downloads the recordings of their own calls, the
customer's administrator every one of the customer's and deletes them, and nobody reaches another
customer's (404), in the page's language."""
from __future__ import annotations

from fs_plugins.config import Config
from fs_plugins.models.recording import Recording
from tests.api_world import DATA_DIR, OTHER, OWN
from tests.portal_world import ADMIN, Browser, portal_app, world  # noqa: F401 (fixture)
from tests.api_world import cheap_argon2  # noqa: F401


def test_a_user_hears_and_downloads_their_own_calls_recording_and_no_one_elses(world):
    browser = Browser(portal_app(Config(data_dir=DATA_DIR)))
    browser.sign_in()
    page = browser.get("/me/recordings")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'src="/me/recordings/{world.own.recording}.wav"' in text and "Grabaciones de llamadas" in text
    heard = browser.get(f"/me/recordings/{world.own.recording}.wav")
    assert heard.status_code == 200 and heard.data == b"RIFF"
    assert browser.get(f"/me/recordings/{world.other.recording}.wav").status_code == 404
    assert browser.get(f"/t/{OWN}/recordings").status_code == 404


def test_the_admin_lists_and_deletes_the_customers_recordings(world):
    browser = Browser(portal_app(Config(data_dir=DATA_DIR)))
    browser.sign_in(ADMIN)
    listed = browser.get(f"/t/{OWN}/recordings").get_data(as_text=True)
    assert f"/t/{OWN}/recordings/{world.own.recording}/delete" in listed
    assert browser.get(f"/t/{OWN}/recordings/{world.other.recording}.wav").status_code == 404
    done = browser.submit(f"/t/{OWN}/recordings", {}, action=f"/t/{OWN}/recordings/{world.own.recording}/delete")
    assert done.status_code == 200 and "borrada" in done.get_data(as_text=True)
    assert not Recording.select().where(Recording.id == world.own.recording).exists()
    assert "No hay grabaciones." in browser.get(f"/t/{OWN}/recordings").get_data(as_text=True)


def test_the_admin_sets_the_options_and_who_is_recorded_and_bad_input_is_refused_by_field(world):
    from fs_plugins.models.recording import RecordingPolicy, RecordingSettings

    browser = Browser(portal_app(Config(data_dir=DATA_DIR)))
    browser.sign_in(ADMIN)
    page = f"/t/{OWN}/recordings"
    saved = browser.submit(page, {"announce": "yes", "retention_days": "30"}, action=f"{page}/options")
    assert saved.status_code == 200 and "Opciones de grabación guardadas." in saved.get_data(as_text=True)
    assert (RecordingSettings.get().announce, RecordingSettings.get().retention_days) == (True, 30)
    for days in ("0", "3651", "treinta", "", "²"):  # "²".isdigit(), yet no number: refused, not a 500
        refused = browser.submit(page, {"retention_days": days}, action=f"{page}/options")
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422 and 'id="e-retention_days"' in text, days
        assert "número entero de días" in text, days  # the application's message, in Spanish
    assert (RecordingSettings.get().announce, RecordingSettings.get().retention_days) == (True, 30)

    done = browser.submit(page, {"user": world.own.extension, "mode": "inbound"}, action=f"{page}/policies/user")
    assert done.status_code == 200 and "Llamadas recibidas" in done.get_data(as_text=True)
    done = browser.submit(page, {"group": world.own.group, "mode": "on_demand"}, action=f"{page}/policies/group")
    assert done.status_code == 200 and f"Grupo de llamadas {world.own.group}" in done.get_data(as_text=True)
    stored = sorted(RecordingPolicy.select().tuples().iterator(), key=str)
    for form, data in (("user", {"user": "999", "mode": "all"}),  # no such user
                       ("user", {"user": world.own.extension, "mode": "sometimes"}),
                       ("group", {"group": world.own.group, "mode": "outbound"}),  # a group makes no calls
                       ("group", {"group": world.other.group, "mode": "inbound"}),  # another customer's
                       ("group", {"group": "", "mode": "inbound"})):
        refused = browser.submit(page, data, action=f"{page}/policies/{form}")
        text = refused.get_data(as_text=True)
        named = f"mode-{form}" if data["mode"] in ("sometimes", "outbound") else f"policy-{form}"
        assert refused.status_code == 422 and f'id="e-{named}"' in text, data
    assert sorted(RecordingPolicy.select().tuples().iterator(), key=str) == stored


def test_another_customers_admin_and_a_user_cannot_change_recording_settings(world):
    from fs_plugins.models.recording import RecordingPolicy, RecordingSettings

    browser = Browser(portal_app(Config(data_dir=DATA_DIR)))
    browser.sign_in()  # a user of OWN
    page = "/me/recordings"
    for action, data in ((f"/t/{OWN}/recordings/options", {"retention_days": "5"}),
                         (f"/t/{OWN}/recordings/policies/user", {"user": world.own.extension, "mode": "all"}),
                         (f"/t/{OTHER}/recordings/options", {"retention_days": "5"})):
        assert browser.submit(page, data, action=action).status_code == 404, action
    admin = Browser(portal_app(Config(data_dir=DATA_DIR)))
    admin.sign_in(ADMIN)
    refused = admin.submit(f"/t/{OWN}/recordings", {"user": world.other.extension, "mode": "all"},
                           action=f"/t/{OTHER}/recordings/policies/user")
    assert refused.status_code == 404
    assert not RecordingPolicy.select().exists() and not RecordingSettings.select().exists()


def test_the_billing_page_counts_the_recordings_kept_of_the_months_calls(world):
    """The world's recording of each customer is of a call started 2026-09-21 (tests/api_world.py)."""
    browser = Browser(portal_app(Config(data_dir=DATA_DIR)))
    browser.sign_in(ADMIN)
    html = browser.get(f"/t/{OWN}/billing?month=2026-09").get_data(as_text=True)
    assert "1 grabación de llamada conservada de las llamadas del mes (4 Bytes)." in html
    assert "grabaci" not in browser.get(f"/t/{OWN}/billing?month=2026-10").get_data(as_text=True)
