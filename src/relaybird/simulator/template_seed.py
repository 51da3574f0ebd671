"""The templates every simulated WhatsApp Business Account starts with, as Graph lists them
(``GET /{waba-id}/message_templates``). Realistic shapes across the three categories: media
headers (image, video, document, location), positional and named parameters, URL buttons with a
dynamic suffix, quick replies, copy code, a flow, an OTP; and a few not APPROVED.

Names the existing code sends must be here with the parameters it sends: ``welcome`` (the room
welcome probe, RELAYBIRD_WELCOME_TEMPLATE, no parameter), ``spring_sale`` (`relaybird demo`,
one body parameter), ``hello_world`` (Meta's sample every account has). Several come from Meta's
documented examples (tests/data/whatsapp-templates/).
"""

from __future__ import annotations

from typing import Any


def _t(
    name: str,
    language: str,
    category: str,
    components: list[dict[str, Any]],
    *,
    status: str = "APPROVED",
    parameter_format: str = "POSITIONAL",
    quality: str = "GREEN",
    rejected_reason: str = "NONE",
    sub_category: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": name,
        "language": language,
        "category": category,
        "status": status,
        "parameter_format": parameter_format,
        "components": components,
        "quality": quality,
        "rejected_reason": rejected_reason,
    }
    if sub_category is not None:
        item["sub_category"] = sub_category
    return item


def _body(text: str, *examples: str) -> dict[str, Any]:
    comp: dict[str, Any] = {"type": "BODY", "text": text}
    if examples:
        comp["example"] = {"body_text": [list(examples)]}
    return comp


def _named_body(text: str, **examples: str) -> dict[str, Any]:
    return {
        "type": "BODY",
        "text": text,
        "example": {
            "body_text_named_params": [{"param_name": k, "example": v} for k, v in examples.items()]
        },
    }


def _media_header(fmt: str, example: str) -> dict[str, Any]:
    return {"type": "HEADER", "format": fmt, "example": {"header_handle": [example]}}


def _buttons(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": "BUTTONS", "buttons": list(buttons)}


_CDN = "https://scontent.whatsapp.net/v/t61.SIM/"

SEED: list[dict[str, Any]] = [
    _t(
        "hello_world",
        "en_US",
        "UTILITY",
        [
            {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
            _body(
                "Welcome and congratulations!! This message demonstrates your ability to send a "
                "WhatsApp message notification from the Cloud API, hosted by Meta. Thank you "
                "for taking the time to test with us."
            ),
            {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"},
        ],
    ),
    _t(
        "welcome",
        "en",
        "UTILITY",
        [_body("Hello! You are now connected with us on WhatsApp. Reply here to chat with us.")],
    ),
    _t(
        "spring_sale",
        "en_US",
        "MARKETING",
        [
            _body("Hi {{1}}, our spring sale is on: 20% off everything until Sunday.", "Ana"),
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            _buttons({"type": "QUICK_REPLY", "text": "Stop promotions"}),
        ],
    ),
    # The image header + 2 body parameters + URL-suffix button template of the test.
    _t(
        "summer_promo",
        "en_US",
        "MARKETING",
        [
            _media_header("IMAGE", _CDN + "summer.jpg"),
            _body(
                "Hi {{1}}, enjoy {{2}} off our summer collection. Tap below for your offer.",
                "Ana",
                "25%",
            ),
            {"type": "FOOTER", "text": "Offer valid while stocks last"},
            _buttons(
                {
                    "type": "URL",
                    "text": "Shop now",
                    "url": "https://shop.example.com/offer/{{1}}",
                    "example": ["https://shop.example.com/offer/SUMMER25"],
                },
                {"type": "QUICK_REPLY", "text": "Stop promotions"},
            ),
        ],
    ),
    _t(
        "reservation_confirmation",
        "en_US",
        "UTILITY",
        [
            _media_header("IMAGE", _CDN + "header-example.jpg"),
            _named_body(
                "*You're all set!*\n\nYour reservation for {{number_of_guests}} at Lucky Shrub "
                "Eatery on {{day}}, {{date}}, at {{time}}, is confirmed. See you then!",
                number_of_guests="4",
                day="Saturday",
                date="August 30th, 2025",
                time="7:30 pm",
            ),
            {"type": "FOOTER", "text": "Lucky Shrub Eatery: The Luckiest Eatery in Town!"},
            _buttons(
                {
                    "type": "URL",
                    "text": "Change reservation",
                    "url": "https://www.luckyshrubeater.com/reservations",
                },
                {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+15550000001"},
                {"type": "QUICK_REPLY", "text": "Cancel reservation"},
            ),
        ],
        parameter_format="NAMED",
    ),
    _t(
        "coupon_expiration_reminder_number_vars",
        "en",
        "MARKETING",
        [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "Act fast, {{1}}!",
                "example": {"header_text": ["Pablo"]},
            },
            _body(
                "Just a quick reminder—your exclusive coupon code, {{1}}, *expires in only {{2}} "
                "days!* Don’t miss out on our special deals. Use your code at checkout before "
                "it’s too late.\n\nHappy shopping! 😃",
                "SUMMER20",
                "10",
            ),
            {"type": "FOOTER", "text": "Lucky Shrub Succulents"},
            _buttons(
                {"type": "URL", "text": "See deals", "url": "https://www.luckyshrub.com/deals"},
                {"type": "QUICK_REPLY", "text": "Unsubscribe"},
            ),
        ],
        sub_category="CUSTOM",
    ),
    _t(
        "coupon_code_onetime_winter_2025",
        "en_US",
        "MARKETING",
        [
            {"type": "HEADER", "format": "TEXT", "text": "Our Winter Sale is on!"},
            _body(
                "Shop now through the end of December and use the one-time use code {{1}} to "
                "get {{2}} off of your entire order!",
                "WINTER25",
                "30%",
            ),
            _buttons(
                {"type": "QUICK_REPLY", "text": "Unsubscribe"},
                {"type": "COPY_CODE", "example": "WINTER25"},
            ),
        ],
    ),
    _t(
        "limited_time_offer_tuscan_getaway_2023",
        "en_US",
        "MARKETING",
        [
            _media_header("IMAGE", _CDN + "tuscany-example.jpg"),
            _body(
                "Hi {{1}}! For a limited time only you can get our {{2}} for as low as {{3}}. "
                "Tap the Offer Details button for more information.",
                "Mark",
                "Tuscan Getaway package",
                "800",
            ),
            {"type": "FOOTER", "text": "Offer valid until May 31, 2023"},
            _buttons(
                {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "15550000001"},
                {
                    "type": "URL",
                    "text": "Shop Now",
                    "url": "https://damp-sea-63235.herokuapp.com/shop?promo={{1}}",
                    "example": ["summer2023"],
                },
            ),
        ],
    ),
    _t(
        "welcome_discount_template",
        "en_US",
        "MARKETING",
        [
            _media_header("IMAGE", _CDN + "welcome.jpg"),
            _named_body(
                "Welcome {{first_name}}! Use code {{discount_code}} for {{discount_amount}} off "
                "your first order.",
                first_name="Jessica",
                discount_code="WELCOME25",
                discount_amount="25%",
            ),
        ],
        parameter_format="NAMED",
    ),
    _t(
        "order_confirmation",
        "en_US",
        "UTILITY",
        [
            {"type": "HEADER", "format": "TEXT", "text": "Your order is confirmed!"},
            _body(
                "Thank you for your order, {{1}}! Your order number is {{2}}. If you have any "
                "questions, contact support using the buttons below. Thanks again!",
                "Pablo",
                "860198-230332",
            ),
            {"type": "FOOTER", "text": "Lucky Shrub: the Succulent Specialists!"},
            _buttons(
                {"type": "PHONE_NUMBER", "text": "Phone support", "phone_number": "+15550000001"},
                {
                    "type": "URL",
                    "text": "Email support",
                    "url": "https://www.luckyshrub.com/support",
                },
            ),
        ],
    ),
    _t(
        "order_shipped",
        "en_US",
        "UTILITY",
        [
            _body(
                "Good news {{1}}! Your order {{2}} has shipped and should arrive by {{3}}.",
                "Ana",
                "A-1042",
                "Friday",
            ),
            _buttons(
                {
                    "type": "URL",
                    "text": "Track parcel",
                    "url": "https://track.example.com/{{1}}",
                    "example": ["https://track.example.com/A-1042"],
                }
            ),
        ],
    ),
    _t(
        "delivery_update_video",
        "en",
        "UTILITY",
        [
            _media_header("VIDEO", _CDN + "unboxing.mp4"),
            _body("Hi {{1}}, here is how to set up the device you ordered.", "Ana"),
        ],
    ),
    _t(
        "invoice_ready",
        "en",
        "UTILITY",
        [
            _media_header("DOCUMENT", _CDN + "invoice.pdf"),
            _body("Hello {{1}}, your invoice {{2}} is attached.", "Ana", "INV-2026-001"),
        ],
    ),
    _t(
        "store_location",
        "en_US",
        "UTILITY",
        [
            {"type": "HEADER", "format": "LOCATION"},
            _body("Your pickup is ready at our {{1}} store.", "Downtown"),
        ],
    ),
    _t(
        "otp_login",
        "en_US",
        "AUTHENTICATION",
        [
            {
                "type": "BODY",
                "text": "*{{1}}* is your verification code. For your security, do not share "
                "this code.",
                "add_security_recommendation": True,
                "example": {"body_text": [["482913"]]},
            },
            {
                "type": "FOOTER",
                "text": "This code expires in 10 minutes.",
                "code_expiration_minutes": 10,
            },
            _buttons({"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}),
        ],
    ),
    _t(
        "appointment_reminder",
        "en_US",
        "UTILITY",
        [
            _named_body(
                "Hi {{patient_name}}, this is a reminder of your appointment on "
                "{{appointment_time}}.",
                patient_name="Ana",
                appointment_time="Monday 10:00",
            ),
            _buttons(
                {"type": "QUICK_REPLY", "text": "Confirm"},
                {"type": "QUICK_REPLY", "text": "Reschedule"},
            ),
        ],
        parameter_format="NAMED",
    ),
    _t(
        "feedback_survey",
        "en",
        "MARKETING",
        [
            _body("Hi {{1}}, how did we do? It takes one minute.", "Ana"),
            _buttons({"type": "FLOW", "text": "Start survey", "flow_id": "1000000000001"}),
        ],
    ),
    _t(
        "payment_due",
        "es",
        "UTILITY",
        [
            _body("Hola {{1}}, tu pago de {{2}} vence el {{3}}.", "Ana", "$25.00", "5 de mayo"),
            _buttons({"type": "URL", "text": "Pagar", "url": "https://pay.example.com/"}),
        ],
    ),
    _t(
        "loyalty_points",
        "pt_BR",
        "MARKETING",
        [_body("Olá {{1}}, você tem {{2}} pontos para usar até o fim do mês.", "Ana", "1200")],
    ),
    _t(
        "black_friday_teaser",
        "en_US",
        "MARKETING",
        [
            {"type": "HEADER", "format": "TEXT", "text": "Black Friday is coming"},
            _body("Be the first to know: our best prices of the year start Friday."),
            _buttons(
                {"type": "QUICK_REPLY", "text": "Notify me"},
                {"type": "QUICK_REPLY", "text": "Not interested"},
            ),
        ],
    ),
    _t(
        "weekend_flash_sale",
        "en_US",
        "MARKETING",
        [_body("{{1}}, 48 hours only: {{2}} off everything.", "Ana", "40%")],
        status="PAUSED",
        quality="RED",
    ),
    _t(
        "old_newsletter",
        "en",
        "MARKETING",
        [_body("Our monthly news, {{1}}.", "Ana")],
        status="DISABLED",
        quality="RED",
    ),
    _t(
        "abandoned_cart",
        "en",
        "MARKETING",
        [_body("You left {{1}}{{2}} in your cart.", "2", " items")],
        status="REJECTED",
        rejected_reason="INVALID_FORMAT",
        quality="UNKNOWN",
    ),
    _t(
        "address_update",
        "en_US",
        "UTILITY",
        [_body("Hi {{1}}, please confirm your delivery address.", "Ana")],
        status="PENDING",
        quality="UNKNOWN",
    ),
]
