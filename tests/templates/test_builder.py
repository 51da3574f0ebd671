"""The builder's ``template`` object compared field by field with Meta's documented send
examples (tests/data/whatsapp-templates/send-template-*.json)."""

from __future__ import annotations

from typing import Any

import pytest

from relaybird.templates.builder import SlotValueError, build_template
from relaybird.templates.mapping import SlotMapping
from relaybird.templates.slots import parse_components
from tests.templates.helpers import fixture, listed, seeded, slots_of


def expected(name: str) -> dict[str, Any]:
    template: dict[str, Any] = fixture(name)["template"]
    return template


def test_image_link_three_body_parameters_and_a_url_suffix() -> None:
    """send-template-image-link-url-button--assembled.json, for the OAS template it was built
    for (page 2 of the list fixtures): the URL button is the second button, index "1"."""
    item = listed("limited_time_offer_tuscan_getaway_2023")
    mapping = SlotMapping.model_validate(
        {
            "header": {"image": {"link": "https://example.com/fake/tuscany.jpg"}},
            "body": {
                "1": {"column": "first_name"},
                "2": {"value": "Tuscan Getaway package"},
                "3": {"column": "price"},
            },
            "buttons": [{"index": 1, "sub_type": "url", "column": "promo"}],
        }
    )
    row = {"first_name": "Mark", "price": "$800", "promo": "summer2023"}
    built = build_template(item["name"], "en_US", slots_of(item), mapping, row)
    want = expected("send-template-image-link-url-button--assembled.json")
    assert built["name"] == want["name"]
    assert built["language"] == want["language"] == {"code": "en_US"}
    header, body, button = built["components"]
    assert header == want["components"][0]
    assert header["parameters"][0]["image"] == {"link": "https://example.com/fake/tuscany.jpg"}
    assert body == want["components"][1]
    assert button == want["components"][2]
    assert button["index"] == "1" and button["sub_type"] == "url"
    assert built == want


def test_image_by_media_id_and_named_body_parameters() -> None:
    """send-template-image-id-named-body--meta-doc.json (Meta's custom-marketing example)."""
    item = seeded("welcome_discount_template")
    mapping = SlotMapping.model_validate(
        {
            "header": {"image": {"media_id": "900000000000101"}},
            "body": {
                "first_name": {"column": "first_name"},
                "discount_code": {"value": "WELCOME25"},
                "discount_amount": {"value": "25%"},
            },
        }
    )
    built = build_template(
        "welcome_discount_template", "en_US", slots_of(item), mapping, {"first_name": "Jessica"}
    )
    want = expected("send-template-image-id-named-body--meta-doc.json")
    assert built == want
    assert [p["parameter_name"] for p in built["components"][1]["parameters"]] == [
        "first_name",
        "discount_code",
        "discount_amount",
    ]


def test_text_header_parameter_and_a_quick_reply_payload() -> None:
    """send-template-text-header-quick-reply--assembled.json: the static URL button (index 0)
    gets no component; the quick reply (index 1) carries its payload."""
    item = listed("coupon_expiration_reminder_number_vars")
    mapping = SlotMapping.model_validate(
        {
            "header": {"text": {"column": "first_name"}},
            "body": {"1": {"column": "code"}, "2": {"value": "10"}},
            "buttons": [{"index": 1, "sub_type": "quick_reply", "value": "STOP_PROMOS"}],
        }
    )
    built = build_template(
        item["name"], "en", slots_of(item), mapping, {"first_name": "Jessica", "code": "SUMMER20"}
    )
    assert built == expected("send-template-text-header-quick-reply--assembled.json")


def test_copy_code_button() -> None:
    """send-template-copy-code--meta-doc.json prints ``sub_type: "COPY_CODE"`` and an integer
    ``index: 1``; Meta's syntax block (and every other example) uses the lower-case sub_type
    and a string index, which we send: the rest is field for field."""
    slots = parse_components(
        [
            {"type": "BODY", "text": "Use {{1}} to get {{2}} off!"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Unsubscribe"},
                    {"type": "COPY_CODE", "example": "25OFF"},
                ],
            },
        ],
        "POSITIONAL",
    )
    mapping = SlotMapping.model_validate(
        {
            "body": {"1": {"column": "code"}, "2": {"value": "25%"}},
            "buttons": [{"index": 1, "sub_type": "copy_code", "column": "code"}],
        }
    )
    built = build_template("coupon_code_fall2023_25off", "en_US", slots, mapping, {"code": "25OFF"})
    want = expected("send-template-copy-code--meta-doc.json")
    assert built["components"][0] == want["components"][0]
    got_button, want_button = built["components"][1], dict(want["components"][1])
    assert want_button.pop("sub_type") == "COPY_CODE" and want_button.pop("index") == 1
    assert got_button.pop("sub_type") == "copy_code" and got_button.pop("index") == "1"
    assert got_button == want_button
    assert {k: v for k, v in built.items() if k != "components"} == {
        k: v for k, v in want.items() if k != "components"
    }


def test_video_document_location_and_flow() -> None:
    video = build_template(
        "delivery_update_video",
        "en",
        slots_of(seeded("delivery_update_video")),
        SlotMapping.model_validate(
            {"header": {"video": {"media_id": "42"}}, "body": {"1": {"value": "Ana"}}}
        ),
        {},
    )
    assert video["components"][0] == {
        "type": "header",
        "parameters": [{"type": "video", "video": {"id": "42"}}],
    }
    document = build_template(
        "invoice_ready",
        "en",
        slots_of(seeded("invoice_ready")),
        SlotMapping.model_validate(
            {
                "header": {"document": {"link": "https://x.test/i.pdf", "filename": "INV.pdf"}},
                "body": {"1": {"value": "Ana"}, "2": {"value": "INV-1"}},
            }
        ),
        {},
    )
    assert document["components"][0]["parameters"] == [
        {"type": "document", "document": {"link": "https://x.test/i.pdf", "filename": "INV.pdf"}}
    ]
    location = build_template(
        "store_location",
        "en_US",
        slots_of(seeded("store_location")),
        SlotMapping.model_validate(
            {
                "header": {
                    "location": {
                        "latitude": {"value": "37.44"},
                        "longitude": {"value": "-122.16"},
                        "name": {"value": "Downtown"},
                        "address": {"value": "1 Main St"},
                    }
                },
                "body": {"1": {"value": "Downtown"}},
            }
        ),
        {},
    )
    assert location["components"][0]["parameters"] == [
        {
            "type": "location",
            "location": {
                "latitude": "37.44",
                "longitude": "-122.16",
                "name": "Downtown",
                "address": "1 Main St",
            },
        }
    ]
    flow = build_template(
        "feedback_survey",
        "en",
        slots_of(seeded("feedback_survey")),
        SlotMapping.model_validate(
            {
                "body": {"1": {"value": "Ana"}},
                "buttons": [{"index": 0, "sub_type": "flow", "value": "tok-1"}],
            }
        ),
        {},
    )
    assert flow["components"][1] == {
        "type": "button",
        "sub_type": "flow",
        "index": "0",
        "parameters": [{"type": "action", "action": {"flow_token": "tok-1"}}],
    }


def test_a_template_without_slots_sends_no_components() -> None:
    built = build_template("welcome", "en", slots_of(seeded("welcome")), SlotMapping(), {})
    assert built == {"name": "welcome", "language": {"code": "en"}, "components": []}


def test_a_bad_row_raises_with_every_problem() -> None:
    item = listed("limited_time_offer_tuscan_getaway_2023")
    mapping = SlotMapping.model_validate(
        {
            "header": {"image": {"link": "https://example.com/a.jpg"}},
            "body": {"1": {"column": "n"}, "2": {"column": "n"}, "3": {"value": "x"}},
            "buttons": [{"index": 1, "sub_type": "url", "column": "p"}],
        }
    )
    with pytest.raises(SlotValueError) as err:
        build_template(item["name"], "en_US", slots_of(item), mapping, {"n": "", "p": "a b"})
    assert [p.slot for p in err.value.problems] == ["body.1", "body.2", "buttons[1].url"]
