"""The baseline: a hello-world ask-sdk-core skill, served and invoked exactly like ours."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_core.utils import is_request_type
from ask_sdk_model import RequestEnvelope

_serializer = DefaultSerializer()


@lru_cache(maxsize=1)
def _builder() -> SkillBuilder:
    """One hello-world skill, whether invoked in process (hello_skill) or through ask-sdk's Lambda handler."""
    sb = SkillBuilder()

    @sb.request_handler(can_handle_func=lambda _: True)
    def hello(handler_input):
        if is_request_type("SessionEndedRequest")(handler_input):
            return handler_input.response_builder.response
        return handler_input.response_builder.speak("Hello world!").ask("Say hello again.").response

    return sb


@lru_cache(maxsize=1)
def hello_skill():
    return _builder().create()


def invoke_hello(body: dict) -> dict:
    envelope = _serializer.deserialize(__import__("json").dumps(body), RequestEnvelope)
    answer: Any = _serializer.serialize(hello_skill().invoke(request_envelope=envelope, context=None))
    return answer


def hello_lambda_handler(event: dict, context: Any) -> Any:
    """The hello-world skill as Lambda runs it: ask-sdk's own handler (deserialize, invoke, serialize)."""
    return _lambda()(event, context)


@lru_cache(maxsize=1)
def _lambda() -> Any:
    return _builder().lambda_handler()
