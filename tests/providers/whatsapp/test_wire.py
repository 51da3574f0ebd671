"""The send path's dict builders say exactly what the wire models say (they replace them on
the dispatcher's hot path)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from relaybird.providers.whatsapp import wire

_text = st.text(max_size=40)
_values = st.one_of(_text, st.integers(), st.none())


@given(
    to=_text,
    name=_text,
    language=_text,
    params=st.lists(st.one_of(_text, st.integers()), max_size=4).map(tuple),
    callback=st.one_of(st.none(), st.text(max_size=600)),
)
def test_template_payload_is_the_models_dump(
    to: str, name: str, language: str, params: tuple[str, ...], callback: str | None
) -> None:
    try:
        want: Any = wire.template_request(to, name, language, params, callback).model_dump(
            mode="json", exclude_none=True
        )
    except ValidationError:
        with pytest.raises(ValidationError):
            wire.template_payload(to, name, language, params, callback)
        return
    assert wire.template_payload(to, name, language, params, callback) == want


def test_template_payload_with_components_goes_through_the_models() -> None:
    components = [{"type": "header", "parameters": [{"type": "image", "image": {"id": "7"}}]}]
    got = wire.template_payload("+1", "t", "en", ("a",), "rb:1", components)
    assert got["template"]["components"] == components
    with pytest.raises(ValidationError):
        wire.template_payload("+1", "t", "en", (), None, [{"parameters": []}])  # no type


_message = st.fixed_dictionaries(
    {"id": _values}, optional={"message_status": _values, "extra": _values}
)
_contact = st.fixed_dictionaries({"input": _values, "wa_id": _values})
_answer = st.one_of(
    st.fixed_dictionaries(
        {"messages": st.one_of(st.lists(_message, max_size=2), _values)},
        optional={
            "contacts": st.one_of(st.lists(_contact, max_size=2), _values),
            "messaging_product": _values,
        },
    ),
    _values,
    st.lists(_values, max_size=2),
)


@given(_answer)
def test_send_response_id_reads_what_the_model_reads(data: Any) -> None:
    try:
        response = wire.SendResponse.model_validate(data)
        want = response.messages[0].id if response.messages else None
    except ValidationError:
        want = None
    if want is None:
        with pytest.raises(ValueError):
            wire.send_response_id(data)
    else:
        assert wire.send_response_id(data) == want
