"""The user's saved place (persistent attributes) loaded and saved by ask-sdk interceptors, registered once.

Only a new session loads: within a session the place travels in session attributes like the rest of the state, so
an open conversation costs no read. A fresh place (saved within RESUME_WINDOW_S) is put into the session attributes
as `position`, where every navigation handler already looks; a stale one is deleted. After each answered turn the
place (position, topic, time) is saved, unless the handler asked for it to be cleared ("start over", launch "no",
"forget me"). What persists is SavedPlace and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ask_sdk_core.dispatch_components import AbstractRequestInterceptor, AbstractResponseInterceptor
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response, SessionEndedRequest

from .state import ConversationState, StateLimits

# store.place is imported by the interceptors, which only a skill with a store registers: a Lambda without one
# never loads it.

# "A few hours": long enough to finish a cramp's treatment after a break, short enough that tomorrow's cramp starts
# from the beginning rather than from step 5 of yesterday's.
RESUME_WINDOW_S = 3 * 3600

# Request attributes (this request only) through which handlers and interceptors talk.
RESUMED = "hamstring.resumed"  # the SavedPlace this new session picked up, set by the load
PLACE_ACTION = "hamstring.place"  # set by a handler: CLEAR (drop the saved place) or FORGOT (already deleted)
CLEAR = "clear"
FORGOT = "forgot"

Clock = Callable[[], float]


class LoadPlaceInterceptor(AbstractRequestInterceptor):
    def __init__(self, limits: Callable[[], StateLimits], clock: Clock = time.time) -> None:
        self.limits = limits
        self.clock = clock

    def process(self, handler_input: HandlerInput) -> None:
        session = handler_input.request_envelope.session
        if session is None or not session.new:
            return
        manager = handler_input.attributes_manager
        from .store.place import SavedPlace

        place = SavedPlace.from_attributes(manager.persistent_attributes)
        if place is None:
            return
        if not place.is_fresh(self.clock(), RESUME_WINDOW_S):
            manager.delete_persistent_attributes()  # too old to resume, and not worth keeping
            return
        # Validated against the content like any session attribute: a step the content no longer has is dropped.
        limits = self.limits()
        position = place.position if limits.valid("position", place.position) else None
        if position is None or position >= limits.step_count:
            return  # nothing unfinished to pick up
        attributes = manager.session_attributes
        if attributes is None:  # a request without a session (the edge lets only a few types through so)
            return
        if attributes.get("position") is None:
            attributes["position"] = position
        manager.request_attributes[RESUMED] = SavedPlace(position, place.topic, place.saved_at)


class SavePlaceInterceptor(AbstractResponseInterceptor):
    def __init__(self, limits: Callable[[], StateLimits], clock: Clock = time.time) -> None:
        self.limits = limits
        self.clock = clock

    def process(self, handler_input: HandlerInput, response: Response) -> None:
        envelope = handler_input.request_envelope
        if envelope.session is None or isinstance(envelope.request, SessionEndedRequest):
            # Out of session (no state to save), or nothing was answered (the last answered turn already saved).
            return
        manager = handler_input.attributes_manager
        action = manager.request_attributes.get(PLACE_ACTION)
        if action == FORGOT:
            return
        if action == CLEAR:
            manager.delete_persistent_attributes()
            return
        limits = self.limits()
        state = ConversationState.from_attributes(manager.session_attributes, limits)
        # Having read the last step is finishing the treatment: nothing left to resume.
        position = state.position if state.position is not None and state.position < limits.step_count else None
        if position is None and state.topic is None:
            return  # nothing worth a write
        from .store.place import SavedPlace

        manager.persistent_attributes = SavedPlace(position, state.topic, int(self.clock())).to_attributes()
        manager.save_persistent_attributes()
