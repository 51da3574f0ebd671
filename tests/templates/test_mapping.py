"""A campaign's slot mapping checked against a template: every problem, each naming its slot."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from relaybird.templates.mapping import SlotMapping, as_errors, check_mapping
from tests.templates.helpers import listed, seeded, slots_of

LTO = slots_of(listed("limited_time_offer_tuscan_getaway_2023"))  # image, {{1}}..{{3}}, url[1]


def mapping(data: dict[str, object]) -> SlotMapping:
    return SlotMapping.model_validate(data)


def problems(
    slots: object, data: dict[str, object], columns: list[str] | None = None
) -> dict[str, str]:
    found = check_mapping(slots, mapping(data), columns)  # type: ignore[arg-type]
    return {p.slot: p.message for p in found}


GOOD = {
    "header": {"image": {"link": "https://example.com/a.jpg"}},
    "body": {
        "1": {"column": "first_name"},
        "2": {"value": "Tuscan Getaway"},
        "3": {"column": "price"},
    },
    "buttons": [{"index": 1, "sub_type": "url", "column": "promo"}],
}


def test_a_complete_mapping_has_no_problem() -> None:
    assert problems(LTO, GOOD, ["first_name", "price", "promo"]) == {}
    assert mapping(GOOD).columns() == {"first_name", "price", "promo"}


def test_every_problem_at_once_each_naming_its_slot() -> None:
    found = problems(
        LTO,
        {
            "header": {"video": {"link": "https://example.com/a.mp4"}},
            "body": {"1": {"column": "first_name"}, "4": {"value": "x"}},
            "buttons": [{"index": 0, "sub_type": "url", "value": "x"}],
        },
        ["name"],
    )
    assert found == {
        "header.video": "the template's header is IMAGE, not video",
        "header.image": "not mapped: the header needs a link or a media_id",
        "body.2": "not mapped: give a column or a value",
        "body.3": "not mapped: give a column or a value",
        "body.4": "the template's body has no such parameter (1, 2, 3)",
        "buttons[0].url": "the PHONE_NUMBER button takes no value (static)",
        "buttons[1].url": "not mapped: the URL needs its suffix",
        "body.1": "the upload has no column 'first_name'",
    }


def test_a_media_header_needs_a_link_or_a_media_id() -> None:
    data = {**GOOD, "header": {"image": {}}}
    assert problems(LTO, data) == {"header.image": "a media header needs a link or a media_id"}
    data = {**GOOD, "header": {"image": {"link": "https://x/a.jpg", "media_id": "1"}}}
    assert problems(LTO, data) == {"header.image": "give exactly one of link, media_id or column"}
    data = {**GOOD, "header": {"image": {"link": "ftp://x/a.jpg"}}}
    assert problems(LTO, data) == {"header.image": "the link must be an http(s) URL"}
    data = {**GOOD, "header": {"image": {"media_id": "900000000000101"}}}
    assert problems(LTO, data) == {}


def test_named_templates_are_keyed_by_parameter_name() -> None:
    slots = slots_of(seeded("welcome_discount_template"))
    named = {
        "header": {"image": {"media_id": "1"}},
        "body": {
            "first_name": {"column": "first_name"},
            "discount_code": {"value": "WELCOME25"},
            "discount_amount": {"value": "25%"},
        },
    }
    assert problems(slots, named) == {}
    positional = {**named, "body": {"1": {"column": "first_name"}}}
    assert set(problems(slots, positional)) == {
        "body.first_name",
        "body.discount_code",
        "body.discount_amount",
        "body.1",
    }


def test_buttons_index_and_sub_type_must_match_the_template() -> None:
    slots = slots_of(listed("coupon_code_onetime_winter_2025"))  # quick_reply[0], copy_code[1]
    body = {"1": {"column": "code"}, "2": {"value": "30%"}}
    assert problems(slots, {"body": body}) == {
        "buttons[1].copy_code": "not mapped: the button needs its code"
    }
    found = problems(
        slots,
        {
            "body": body,
            "buttons": [
                {"index": 1, "sub_type": "url", "column": "code"},
                {"index": 1, "sub_type": "copy_code", "column": "code"},
                {"index": 5, "sub_type": "quick_reply", "value": "STOP"},
            ],
        },
    )
    assert found == {
        "buttons[1].url": "the button at index 1 is copy_code, not url",
        "buttons[1].copy_code": "mapped twice",
        "buttons[5].quick_reply": "the template has no button at this index",
    }
    ok = {
        "body": body,
        "buttons": [
            {"index": 0, "sub_type": "quick_reply", "value": "STOP_PROMOS"},
            {"index": 1, "sub_type": "copy_code", "column": "code"},
        ],
    }
    assert problems(slots, ok) == {}


def test_text_header_and_headers_that_take_nothing() -> None:
    slots = slots_of(listed("coupon_expiration_reminder_number_vars"))
    body = {"1": {"value": "SUMMER20"}, "2": {"value": "10"}}
    assert problems(slots, {"body": body}) == {
        "header.text": "not mapped: the header needs a value for its parameter"
    }
    assert problems(slots, {"body": body, "header": {"text": {"column": "name"}}}) == {}
    static = slots_of(listed("coupon_code_onetime_winter_2025"))
    found = problems(static, {"header": {"text": {"value": "x"}}})
    assert found["header.text"] == "the template's header takes no value"


def test_location_header_needs_coordinates() -> None:
    slots = slots_of(seeded("store_location"))
    assert problems(slots, {"body": {"1": {"value": "Downtown"}}}) == {
        "header.location": "not mapped: the header needs latitude and longitude"
    }


def test_each_value_is_a_column_or_a_constant_never_both() -> None:
    with pytest.raises(ValidationError):
        mapping({"body": {"1": {"column": "a", "value": "b"}}})
    with pytest.raises(ValidationError):
        mapping({"body": {"1": {}}})
    with pytest.raises(ValidationError):
        mapping({"buttons": [{"index": 0, "sub_type": "phone", "value": "x"}]})
    with pytest.raises(ValidationError):
        mapping({"extra": 1})


def test_problems_render_as_the_apis_422_errors() -> None:
    found = check_mapping(LTO, mapping({"body": {}}))
    errors = as_errors(found)
    assert errors[0] == {
        "loc": ["mapping", "header.image"],
        "msg": "not mapped: the header needs a link or a media_id",
        "type": "template_slot",
        "slot": "header.image",
    }
    assert len(errors) == len(found) == 5
