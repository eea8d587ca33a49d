"""Every rule `hamstring check` has: its id, what it holds, and where a finding of it is fixed."""

from __future__ import annotations

from .findings import Rule

MANIFEST = "speech_assets/skill.json"
LANGUAGE = "intents/sentences/en.yaml, then `hamstring assets build`"

RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("package-files", "skill.json and every interaction model are readable JSON of the right shape",
         "speech_assets/"),
    Rule("locales", "every manifest locale has an interaction model and privacy entry, and every model a locale",
         f"{MANIFEST} publishingInformation.locales and privacyAndCompliance.locales, or skill.locales in "
         f"{LANGUAGE}"),
    Rule("lambda-handler", "ask-resources.json's Lambda handler names a module file and a function in it",
         "ask-resources.json profiles.*.skillInfrastructure.userConfig.handler"),
    Rule("builtin-intents", "the built-in intents certification requires are in every model and the skill answers "
                            "them", f"the intents of {LANGUAGE}; skill/handlers.py HANDLERS"),
    Rule("intents-answered", "every intent of the model gets an answer of its own, not the fallback or an error",
         "skill/handlers.py HANDLERS"),
    Rule("sample-count", "each custom intent has enough distinct sample utterances",
         f"the intent's templates in {LANGUAGE}"),
    Rule("sample-conflict", "no utterance (samples with their slots filled in) is a sample of two intents",
         f"make the two intents' templates disjoint in {LANGUAGE}"),
    Rule("slot-overlap", "no phrase is a value of two slot types one sample position could take, nor of two "
                         "values of one type", f"the slot lists (lists:) in {LANGUAGE}"),
    Rule("invocation-name", "the invocation name follows Alexa's rules (2+ lowercase words, no launch or wake "
                            "words, no digits, at most 50 characters)", f"skill.invocation_name in {LANGUAGE}"),
    Rule("example-phrases", "1 to 3 example phrases per locale, each \"Alexa, open|ask <invocation name> ...\" "
                            "and a sample utterance of the model",
         f"{MANIFEST} publishingInformation.locales.*.examplePhrases (from metadata.canonical in {LANGUAGE})"),
    Rule("example-answers", "each example phrase said one-shot gets an answer of its own intent, not the fallback, "
                            "an error or the welcome", "skill/handlers.py; the phrase in " + MANIFEST),
    Rule("launch-prompt", "opening the skill asks a question and keeps the session open",
         "skill/handlers.py launch; welcome_question in skill/content/dialog.yaml"),
    Rule("help-prompt", "help ends with a question and keeps the session open with a reprompt",
         "skill/handlers.py help_reply; help and help_question in skill/content/dialog.yaml"),
    Rule("reprompts", "every response that keeps the session open has a reprompt, every one that closes it asks "
                      "nothing, and a SessionEndedRequest gets no speech", "skill/reply.py respond; skill/replies.py"),
    Rule("stop-cancel-no", "stop and cancel end the session wherever they are said; \"no\" is answered, never the "
                           "fallback or an error",
         "skill/handlers.py (stop, no); goodbye in skill/content/dialog.yaml"),
    Rule("health-disclaimer", "every locale's description says the skill is not a substitute for professional "
                              "medical advice, and its summary that it is not medical advice",
         f"{MANIFEST} publishingInformation.locales.*.description and summary"),
    Rule("privacy-urls", "every locale has https privacy policy and terms of use URLs (a warning while they are "
                         "placeholders)", f"{MANIFEST} privacyAndCompliance.locales.* (publish docs/privacy.md)"),
    Rule("endpoint-url", "the custom endpoint is https (a warning while it is a placeholder; `ask deploy` sets a "
                         "Lambda ARN itself)", f"{MANIFEST} apis.custom.endpoint.uri"),
    Rule("response-size", "every response of every golden conversation and probe is within Alexa's limits "
                          "(24 KiB in all, speech, reprompt and card 8,000 characters)",
         "skill/reply.py limits; the documents in skill/content/apl/"),
    Rule("ssml", "every outputSpeech and reprompt is valid SSML: one <speak>, well-formed, Alexa's tags only, "
                 "breaks of at most 10 s, at most 5 audio clips", "skill/reply.py to_ssml"),
    Rule("apl-interface", "APL directives go only to devices that declare APL, the manifest declares "
                          "ALEXA_PRESENTATION_APL iff the skill sends APL, with valid viewports",
         f"{MANIFEST} apis.custom.interfaces; skill/display.py supports_apl"),
)}
