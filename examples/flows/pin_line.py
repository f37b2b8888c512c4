"""A PIN-protected line: callers who type the PIN reach the target, the others are turned away.

    centralita flow enable pin_line --tenant acme.example
    centralita flow attach pin_line --tenant acme.example --set pin=4321 --set target=user:1001
    centralita number route --tenant acme.example +34910000999 --to flow:pin_line
"""
import hmac

from fs_plugins.callflows import DESTINATION, INTEGER, SECRET, TEXT, CallFlow, Setting

ENTER_PIN = "ivr/ivr-please_enter_pin_followed_by_pound.wav"
WRONG_PIN = "voicemail/vm-fail_auth.wav"


def pin_line(session):
    session.answer()
    for _ in range(session.settings["tries"]):
        typed = session.collect(session.settings["prompt"], min_digits=1, max_digits=12, timeout=8)
        # compare_digest: how long the check takes says nothing about how much of the PIN was right
        if typed and hmac.compare_digest(typed, session.settings["pin"]):
            session.note("PIN accepted")
            session.transfer(session.settings["target"])
            return
        session.play(WRONG_PIN)
    session.note("wrong PIN")
    session.hangup("CALL_REJECTED")


flow = CallFlow(
    "pin_line", pin_line, description="asks for a PIN; the right one reaches the target",
    settings=(
        Setting("pin", SECRET, required=True, pattern=r"[0-9]{4,12}", pattern_help="4 to 12 digits",
                help="the PIN callers type, then #"),
        Setting("target", DESTINATION, required=True, help="where callers with the PIN go"),
        Setting("tries", INTEGER, default=3, minimum=1, maximum=5, help="attempts before hanging up"),
        Setting("prompt", TEXT, default=ENTER_PIN, help="the sound asking for the PIN"),
    ),
)
