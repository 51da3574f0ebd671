"""One recipient's values checked against Meta's limits per component, each problem naming its
slot (what the next wave's importer turns into INVALID_RECORD)."""

from __future__ import annotations

from relaybird.templates.mapping import SlotMapping
from relaybird.templates.slots import parse_components
from relaybird.templates.values import (
    BODY_MAX,
    COPY_CODE_MAX,
    HEADER_TEXT_MAX,
    QUICK_REPLY_PAYLOAD_MAX,
    URL_MAX,
    check_row,
    resolve,
)
from tests.templates.helpers import listed, seeded, slots_of

LTO = slots_of(listed("limited_time_offer_tuscan_getaway_2023"))
LTO_MAP = SlotMapping.model_validate(
    {
        "header": {"image": {"column": "image"}},
        "body": {
            "1": {"column": "name"},
            "2": {"value": "Tuscan Getaway"},
            "3": {"column": "price"},
        },
        "buttons": [{"index": 1, "sub_type": "url", "column": "promo"}],
    }
)
ROW = {"image": "https://example.com/a.jpg", "name": "Mark", "price": "$800", "promo": "summer2023"}


def problems(slots: object, m: SlotMapping, row: dict[str, str | None]) -> dict[str, str]:
    return {p.slot: p.message for p in check_row(slots, m, row)}  # type: ignore[arg-type]


def test_a_good_row_has_no_problem_and_resolves_every_slot() -> None:
    values, found = resolve(LTO, LTO_MAP, ROW)
    assert found == []
    assert values.body == {"1": "Mark", "2": "Tuscan Getaway", "3": "$800"}
    assert values.media is not None and values.media.link == ROW["image"]
    assert values.buttons == {1: "summer2023"}


def test_empty_values_name_their_slot_and_column() -> None:
    found = problems(LTO, LTO_MAP, {**ROW, "name": "  ", "promo": None, "image": ""})
    assert found == {
        "header.image": "empty value (column 'image' is empty)",
        "body.1": "empty value (column 'name' is empty)",
        "buttons[1].url": "empty value (column 'promo' is empty)",
    }


def test_newlines_tabs_and_five_spaces_break_metas_format_policy() -> None:
    for bad in ("Mark\nSmith", "Mark\tSmith", "Mark     Smith"):
        found = problems(LTO, LTO_MAP, {**ROW, "name": bad})
        assert "132007" in found["body.1"]
    assert problems(LTO, LTO_MAP, {**ROW, "name": "Mark    Smith"}) == {}  # four spaces pass


def test_the_filled_body_is_at_most_1024_characters() -> None:
    long = "x" * BODY_MAX
    found = problems(LTO, LTO_MAP, {**ROW, "name": long})
    assert list(found) == ["body.1"]
    assert f"(max {BODY_MAX})" in found["body.1"] and "longest value" in found["body.1"]


def test_a_text_header_is_at_most_60_characters_once_filled() -> None:
    slots = slots_of(listed("coupon_expiration_reminder_number_vars"))  # "Act fast, {{1}}!"
    m = SlotMapping.model_validate(
        {"header": {"text": {"column": "n"}}, "body": {"1": {"value": "A"}, "2": {"value": "2"}}}
    )
    fixed = len("Act fast, !")
    assert problems(slots, m, {"n": "x" * (HEADER_TEXT_MAX - fixed)}) == {}
    found = problems(slots, m, {"n": "x" * (HEADER_TEXT_MAX - fixed + 1)})
    assert found == {
        "header.text": f"the header would be {HEADER_TEXT_MAX + 1} characters with this value "
        f"(max {HEADER_TEXT_MAX})"
    }


def test_url_suffix_copy_code_and_quick_reply_payload_limits() -> None:
    assert "spaces" in problems(LTO, LTO_MAP, {**ROW, "promo": "a b"})["buttons[1].url"]
    long_url = problems(LTO, LTO_MAP, {**ROW, "promo": "p" * URL_MAX})["buttons[1].url"]
    assert f"(max {URL_MAX})" in long_url
    coupon = slots_of(listed("coupon_code_onetime_winter_2025"))
    m = SlotMapping.model_validate(
        {
            "body": {"1": {"column": "code"}, "2": {"value": "30%"}},
            "buttons": [
                {"index": 0, "sub_type": "quick_reply", "column": "payload"},
                {"index": 1, "sub_type": "copy_code", "column": "code"},
            ],
        }
    )
    ok = {"code": "A" * COPY_CODE_MAX, "payload": "STOP"}
    assert problems(coupon, m, ok) == {}
    found = problems(coupon, m, {"code": "A" * (COPY_CODE_MAX + 1), "payload": "p" * 257})
    assert found == {
        "buttons[1].copy_code": f"{COPY_CODE_MAX + 1} characters (max {COPY_CODE_MAX})",
        "buttons[0].quick_reply": f"257 characters (max {QUICK_REPLY_PAYLOAD_MAX})",
    }
    assert (
        "letters and digits"
        in problems(coupon, m, {**ok, "code": "25-OFF"})["buttons[1].copy_code"]
    )


def test_media_links_from_a_column_must_be_http_urls() -> None:
    found = problems(LTO, LTO_MAP, {**ROW, "image": "file:///etc/passwd"})
    assert found == {"header.image": "the link must be an http(s) URL without spaces"}


def test_location_coordinates_are_numbers_in_range() -> None:
    slots = slots_of(seeded("store_location"))
    m = SlotMapping.model_validate(
        {
            "header": {
                "location": {
                    "latitude": {"column": "lat"},
                    "longitude": {"column": "lon"},
                    "name": {"value": "Downtown store"},
                }
            },
            "body": {"1": {"value": "Downtown"}},
        }
    )
    values, found = resolve(slots, m, {"lat": "37.44", "lon": "-122.16"})
    assert found == [] and values.location is not None and values.location.name == "Downtown store"
    found_map = problems(slots, m, {"lat": "91", "lon": "east"})
    assert set(found_map) == {"header.location"}


def test_named_and_constant_values() -> None:
    slots = parse_components(
        [{"type": "BODY", "text": "Hi {{first_name}}, code {{code}}"}], "NAMED"
    )
    m = SlotMapping.model_validate(
        {"body": {"first_name": {"column": "fn"}, "code": {"value": "WELCOME"}}}
    )
    values, found = resolve(slots, m, {"fn": "Jessica"})
    assert found == [] and values.body == {"first_name": "Jessica", "code": "WELCOME"}
    assert problems(
        slots,
        SlotMapping.model_validate(
            {"body": {"first_name": {"value": " "}, "code": {"value": "x"}}}
        ),
        {},
    ) == {"body.first_name": "empty value (empty constant)"}


def test_the_filled_length_is_the_length_of_the_filled_text() -> None:
    from relaybird.templates.slots import fill
    from relaybird.templates.values import _filled_length

    cases = [
        ("Hi {{1}}, {{2}} off! {{1}} again", {"1": "Ana", "2": "25%"}),
        ("{{ first_name }} / {{code}}", {"first_name": "Jessica", "code": ""}),
        ("no placeholders", {}),
        ("emoji 😃 {{1}}", {"1": "✓"}),
    ]
    for text, values in cases:
        assert _filled_length(text, values) == len(fill(text, values)), text
