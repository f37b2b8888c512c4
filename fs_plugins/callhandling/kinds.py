"""The words of call handling (do-not-disturb modes, ring times), in a module of their own so the
rules and the model share them without the rules importing the database models."""

DND_MODES = ("busy", "forward-busy", "voicemail")
DEFAULT_NO_ANSWER_SECONDS = 20
MIN_NO_ANSWER_SECONDS = 5
MAX_NO_ANSWER_SECONDS = 120
