"""A template's components, as Meta's list API returns them, read into parameter slots."""

from __future__ import annotations

from relaybird.simulator.template_seed import SEED
from relaybird.templates.slots import (
    HeaderFormat,
    ParameterFormat,
    TextSlot,
    describe,
    fill,
    parse_components,
    placeholders,
)
from tests.templates.helpers import listed, seeded, slots_of


def test_named_image_template_of_metas_example() -> None:
    slots = slots_of(listed("reservation_confirmation"))
    assert slots.parameter_format == ParameterFormat.NAMED
    assert slots.header is not None and slots.header.format == HeaderFormat.IMAGE
    assert slots.header.example == "https://scontent.whatsapp.net/v/t61.FAKE/header-example.jpg"
    assert slots.body == (
        TextSlot("number_of_guests", "4"),
        TextSlot("day", "Saturday"),
        TextSlot("date", "August 30th, 2025"),
        TextSlot("time", "7:30 pm"),
    )
    assert slots.footer == "Lucky Shrub Eatery: The Luckiest Eatery in Town!"
    # A static URL and a phone number take nothing; the quick reply takes an optional payload.
    assert [(b.index, b.type, b.sub_type, b.required) for b in slots.buttons] == [
        (0, "URL", None, False),
        (1, "PHONE_NUMBER", None, False),
        (2, "QUICK_REPLY", "quick_reply", False),
    ]
    assert slots.names() == [
        "header.image",
        "body.number_of_guests",
        "body.day",
        "body.date",
        "body.time",
        "buttons[2].quick_reply",
    ]


def test_positional_text_header_and_body_with_examples() -> None:
    slots = slots_of(listed("coupon_expiration_reminder_number_vars"))
    assert slots.parameter_format == ParameterFormat.POSITIONAL
    assert slots.header is not None and slots.header.format == HeaderFormat.TEXT
    assert slots.header.params == (TextSlot("1", "Pablo"),)
    assert slots.body == (TextSlot("1", "SUMMER20"), TextSlot("2", "10"))
    assert slots.names() == ["header.text", "body.1", "body.2", "buttons[1].quick_reply"]


def test_url_button_with_a_dynamic_suffix_and_copy_code() -> None:
    lto = slots_of(listed("limited_time_offer_tuscan_getaway_2023"))
    url = lto.button(1)
    assert url is not None and url.sub_type == "url" and url.required
    assert url.params == (TextSlot("1", "summer2023"),)
    assert lto.button(0) is not None and not lto.button(0).takes_value  # type: ignore[union-attr]
    coupon = slots_of(listed("coupon_code_onetime_winter_2025"))
    code = coupon.button(1)
    assert code is not None and code.sub_type == "copy_code" and code.required
    assert code.example == "fLBponPDsqF0KQThzkrf"
    # A static text header takes no value.
    assert coupon.header is not None and not coupon.header.takes_value


def test_video_document_location_otp_flow_headers_and_buttons() -> None:
    assert slots_of(seeded("delivery_update_video")).names() == ["header.video", "body.1"]
    assert slots_of(seeded("invoice_ready")).names() == ["header.document", "body.1", "body.2"]
    assert slots_of(seeded("store_location")).names() == ["header.location", "body.1"]
    otp = slots_of(seeded("otp_login"))
    assert otp.names() == ["body.1", "buttons[0].url"]  # Meta sends the code as a url param
    flow = slots_of(seeded("feedback_survey"))
    assert flow.names() == ["body.1", "buttons[0].flow"]
    assert flow.button(0) is not None and not flow.button(0).required  # type: ignore[union-attr]


def test_positional_keys_come_in_number_order_and_repeat_once() -> None:
    slots = parse_components(
        [{"type": "BODY", "text": "{{2}} then {{1}} then {{2}} again {{10}}"}], "POSITIONAL"
    )
    assert slots.body_keys == ("1", "2", "10")
    assert placeholders("a {{ x }} b {{y}}") == ("x", "y")
    assert fill("Hi {{1}}, {{2}}!", {"1": "Ana"}) == "Hi Ana, {{2}}!"


def test_unsupported_components_are_named_and_odd_shapes_never_raise() -> None:
    slots = parse_components(
        [
            {"type": "CAROUSEL", "cards": []},
            "not an object",  # type: ignore[list-item]
            {"type": "HEADER", "format": "HOLOGRAM"},
            {"type": "BODY", "text": None, "example": "wrong"},
            {"type": "BUTTONS", "buttons": [1, {"type": "URL"}]},
        ],
        "SOMETHING",
    )
    assert slots.unsupported == ("CAROUSEL",)
    assert slots.header is None and slots.body == ()
    assert slots.parameter_format == ParameterFormat.POSITIONAL
    assert [b.type for b in slots.buttons] == ["URL"]


def test_every_seeded_template_parses_and_describes() -> None:
    for item in SEED:
        slots = slots_of(item)
        assert not slots.unsupported, item["name"]
        assert list(describe(slots))
