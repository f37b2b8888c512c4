"""The words of call groups (types, ringing modes, openings, melodies, call outcomes), in a
module of their own so rules and flows use them without importing the database models."""

SIMPLE, ADVANCED = "simple", "advanced"
GROUP_TYPES = (SIMPLE, ADVANCED)
SIMULTANEOUS, CONSECUTIVE = "simultaneous", "consecutive"
RING_MODES = (SIMULTANEOUS, CONSECUTIVE)
ALWAYS_OPEN, BY_SCHEDULE, ALWAYS_CLOSED = "open", "schedule", "closed"
OPENINGS = (ALWAYS_OPEN, BY_SCHEDULE, ALWAYS_CLOSED)
RINGBACK, MUSIC, AUDIO = "ringback", "music", "audio"
MELODIES = (RINGBACK, MUSIC, AUDIO)  # AUDIO: melody_audio, a file of the tenant's audio library

# GroupCall.outcome values
ANSWERED, ABANDONED, OVERFLOWED, NO_ANSWER, CLOSED = "answered", "abandoned", "overflowed", "no_answer", "closed"
OUTCOMES = (ANSWERED, ABANDONED, OVERFLOWED, NO_ANSWER, CLOSED)
