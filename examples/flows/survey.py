"""A post-call survey: the caller talks to an agent, then rates the call with a key from 1 to 5.

The rating is stored with the call (`centralita flow records --tenant T --flow survey` exports
them as CSV) and noted on the call's log entry.

    centralita flow enable survey --tenant acme.example
    centralita flow attach survey --tenant acme.example --set agent=1001
"""
from fs_plugins.callflows import DESTINATION, INTEGER, TEXT, CallFlow, Setting

RATE_PROMPT = "ivr/ivr-please_rate_the_call.wav"  # "after the beep, rate this call from 1 to 5"
THANKS = "ivr/ivr-thank_you.wav"


def survey(session):
    agent = session.settings["agent"]
    outcome = session.bridge(agent, timeout=session.settings["ring_seconds"])
    if outcome != "answered":
        session.transfer(session.settings["no_answer"])
        return
    # The agent hung up; the caller is still on the line.
    for _ in range(2):
        key = session.collect(session.settings["prompt"], max_digits=1, timeout=6)
        if key in ("1", "2", "3", "4", "5"):
            session.store(score=int(key), agent=agent)
            session.note(f"survey: {key}/5")
            session.play(THANKS)
            break
    session.hangup()


flow = CallFlow(
    "survey", survey, description="connects the caller to an agent, then asks for a rating from 1 to 5",
    settings=(
        Setting("agent", TEXT, required=True, pattern=r"[0-9]{2,6}", pattern_help="an extension",
                help="the extension that takes the calls"),
        Setting("ring_seconds", INTEGER, default=25, minimum=5, maximum=120),
        Setting("no_answer", DESTINATION, default="voicemail:", help="where calls go when the agent does not answer"),
        Setting("prompt", TEXT, default=RATE_PROMPT, help="the sound asking for the rating"),
    ),
)
