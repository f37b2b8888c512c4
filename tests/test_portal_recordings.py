"""Call recordings in the portal: a user hears and downloads the recordings of their own calls, the
customer's administrator every one of the customer's and deletes them, and nobody reaches another
customer's (404), in the page's language."""
from __future__ import annotations

from fs_plugins.config import Config
from fs_plugins.models.recording import Recording
from tests.api_world import DATA_DIR, OWN
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
