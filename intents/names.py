"""Names the language shares with everything that reads it: one home each (no hassil import, so the skill's cold
start can use them)."""

BUILTIN_PREFIX = "AMAZON."
FALLBACK_INTENT = "AMAZON.FallbackIntent"
RED_FLAG_INTENT = "RedFlagIntent"
RED_FLAG_LIST = "red_flag"  # the slot, and the value list, that names which red flag
HARM_SLOT = "harm"  # the words of a pain or injury mention, which the skill answers with its safety net too
GREETING_INTENT = "GreetingIntent"  # "hi", "hello there": as a session's first words, it opens it as a launch does
STOP_INTENT = "AMAZON.StopIntent"  # a goodbye, however it is said, ends the session
