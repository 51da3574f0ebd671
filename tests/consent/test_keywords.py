from __future__ import annotations

import pytest

from relaybird.consent.keywords import DEFAULT_OPT_IN, DEFAULT_OPT_OUT, Keyword, classify


@pytest.mark.parametrize(
    "text", ["STOP", "stop", " Stop! ", "Unsubscribe.", "Arrêt", "ARRÊT", "désabonner", "Baja"]
)
def test_opt_out_keywords_whole_message_any_case_or_accent(text: str) -> None:
    assert classify(text, DEFAULT_OPT_OUT, DEFAULT_OPT_IN) is Keyword.OPT_OUT


@pytest.mark.parametrize("text", ["please stop", "stop sending", "STOPPING", "", None, "s t o p"])
def test_a_sentence_is_not_a_keyword(text: str | None) -> None:
    assert classify(text, DEFAULT_OPT_OUT, DEFAULT_OPT_IN) is None


def test_opt_in_keywords() -> None:
    assert classify("start", DEFAULT_OPT_OUT, DEFAULT_OPT_IN) is Keyword.OPT_IN
    assert classify("Start!", ["halt"], ["start"]) is Keyword.OPT_IN
    assert classify("STOP", ["halt"], ["start"]) is None
