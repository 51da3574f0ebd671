"""Templates over real HTTP: our API (and applier loop) under uvicorn, the simulator playing
Meta's Graph API. The catalogue read over several pages, the simulator's controls sending the
real webhooks that move our templates, the builder's request accepted, media uploaded once."""

from __future__ import annotations

import asyncio
import struct
import uuid
import zlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.db import Database
from relaybird.kit.time import ManualClock
from relaybird.models import OutboxEvent
from relaybird.providers.port import SenderCredentials, TemplateMessage
from relaybird.providers.whatsapp import wire
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from relaybird.simulator.template_seed import SEED
from relaybird.templates import repository
from relaybird.templates import sync as template_sync
from relaybird.templates.builder import build_template
from relaybird.templates.mapping import SlotMapping
from relaybird.templates.slots import parse_components
from tests.conftest import make_settings
from tests.factories import KeyMaker, new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.rooms.helpers import problem, wait_for

WABA, PNID, TOKEN = "100000000000777", "8008", "tok-8008"


def _setup(
    ctx: AppContext,
    simulator: SimHandle,
    factory: Callable[..., LiveServer],
    keys: KeyMaker,
    *,
    loops: bool = False,
) -> tuple[ApiClient, int, LiveServer]:
    simulator.add_number(PNID, TOKEN, waba_id=WABA)
    ctx.catalogue = WhatsAppCloudClient(simulator.url, "v23.0")
    server = factory(loops=loops)
    if loops:
        simulator.configure(webhook_url=server.whatsapp_webhook_url)
    api = ApiClient(server.url, keys.create())
    # Straight into the database: these tests are about templates, and a sender POSTed through
    # the API is not yet committed when its 201 arrives (api/deps, being fixed in this wave).
    sender = new_sender(
        ctx,
        name="Templates line",
        phone_number_id=PNID,
        display_phone_number="+1 555 080 0800",
        access_token=TOKEN,
        waba_id=WABA,
    )
    return api, sender, server


def _all(api: ApiClient, query: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = api.get(
            f"/api/v1/templates?{query}&limit=10" + (f"&cursor={cursor}" if cursor else "")
        )
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        cursor = page["next_cursor"]


def _by_name(api: ApiClient, sender: int, name: str) -> dict[str, Any]:
    [item] = [t for t in _all(api, f"sender_id={sender}") if t["name"] == name]
    return item


def test_sync_reads_every_page_of_a_24_template_catalogue(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    simulator.configure(template_page_max=7)
    api, sender, _ = _setup(ctx, simulator, live_server_factory, keys)
    result = api.post(f"/api/v1/senders/{sender}/templates/sync")
    assert result == {
        "waba_id": WABA,
        "total": len(SEED),
        "created": len(SEED),
        "updated": 0,
        "moved": 0,
        "deleted": 0,
        "skipped": [],
    }
    assert len(SEED) >= 20
    reads = [r for r in simulator.requests() if r.get("type") == "list_templates"]
    assert len(reads) == 4  # 7 + 7 + 7 + 3: every page, by the `after` cursor of the last
    assert "after" not in reads[0]["query"]
    assert all("after" in r["query"] for r in reads[1:])
    assert reads[0]["query"]["fields"] == wire.TEMPLATE_FIELDS

    stored = _all(api, f"sender_id={sender}")
    assert sorted((t["name"], t["language"]) for t in stored) == sorted(
        (t["name"], t["language"]) for t in SEED
    )
    assert [t["name"] for t in _all(api, "status=PAUSED")] == ["weekend_flash_sale"]
    assert sorted(t["name"] for t in _all(api, "name=coupon")) == [
        "coupon_code_onetime_winter_2025",
        "coupon_expiration_reminder_number_vars",
    ]
    summer = _by_name(api, sender, "summer_promo")
    assert (summer["status"], summer["category"], summer["quality_score"], summer["sendable"]) == (
        "APPROVED",
        "MARKETING",
        "GREEN",
        True,
    )
    detail = api.get(f"/api/v1/templates/{summer['id']}")
    assert detail["slots"]["names"] == [
        "header.image",
        "body.1",
        "body.2",
        "buttons[0].url",
        "buttons[1].quick_reply",
    ]
    assert detail["slots"]["body"] == [
        {"key": "1", "example": "Ana"},
        {"key": "2", "example": "25%"},
    ]
    assert detail["components"][0]["format"] == "IMAGE"
    rejected = _by_name(api, sender, "abandoned_cart")
    assert (rejected["status"], rejected["rejected_reason"], rejected["sendable"]) == (
        "REJECTED",
        "INVALID_FORMAT",
        False,
    )

    # Meta deletes one and unpauses another: the next sync marks it DELETED (kept) and moves.
    gone = simulator.template(WABA, "loyalty_points", "pt_BR")["id"]
    simulator.template_status(gone, "DELETED")
    paused = simulator.template(WABA, "weekend_flash_sale", "en_US")["id"]
    simulator.template_status(paused, "APPROVED", title="UNPAUSE")
    again = api.post(f"/api/v1/senders/{sender}/templates/sync")
    assert (again["total"], again["deleted"], again["moved"], again["created"]) == (
        len(SEED) - 1,
        1,
        1,
        0,
    )
    deleted = _by_name(api, sender, "loyalty_points")
    assert deleted["status"] == "DELETED" and not deleted["sendable"]
    history = api.get(f"/api/v1/templates/{deleted['id']}/history")
    assert [(h["field"], h["from_state"], h["to_state"], h["event"]) for h in history] == [
        ("status", None, "APPROVED", "synced"),
        ("status", "APPROVED", "DELETED", "missing_at_sync"),
    ]


def test_sync_failures_and_bad_requests_are_clear(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    api, sender, _ = _setup(ctx, simulator, live_server_factory, keys)
    simulator.add_number("8009", "the-real-token", waba_id="100000000000888")
    wrong = new_sender(
        ctx, phone_number_id="8009", access_token="a-stale-token", waba_id="100000000000888"
    )
    status, body = problem(lambda: api.post(f"/api/v1/senders/{wrong}/templates/sync"))
    assert status == 502 and body["code"] == "provider_error" and body["provider_code"] == 190
    # A business account Meta does not know (or the token cannot read): the sender's data is
    # wrong, not Meta — 422, never a 5xx (the long fuzz run found it as a 502).
    simulator.add_number("8011", "token-8011", waba_id="100000000000811")
    unknown = new_sender(
        ctx, phone_number_id="8011", access_token="token-8011", waba_id="100000000000999"
    )
    status, body = problem(lambda: api.post(f"/api/v1/senders/{unknown}/templates/sync"))
    assert status == 422 and body["provider_code"] == 100, body
    assert "100000000000999" in body["detail"]
    bare = new_sender(ctx, phone_number_id="8010")
    status, body = problem(lambda: api.post(f"/api/v1/senders/{bare}/templates/sync"))
    assert status == 422 and "waba_id" in body["detail"]
    status, _ = problem(lambda: api.post("/api/v1/senders/999999/templates/sync"))
    assert status == 404
    status, _ = problem(lambda: api.get("/api/v1/templates/999999"))
    assert status == 404
    status, body = problem(lambda: api.get("/api/v1/templates?status=NOPE"))
    assert status == 422
    assert api.get(f"/api/v1/templates?sender_id={sender}")["items"] == []


def _template(api: ApiClient, sender: int, name: str) -> dict[str, Any]:
    return _by_name(api, sender, name)


def test_simulator_controls_send_the_real_webhooks_and_templates_move(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    api, sender, _ = _setup(ctx, simulator, live_server_factory, keys, loops=True)
    api.post(f"/api/v1/senders/{sender}/templates/sync")
    tid = simulator.template(WABA, "summer_promo", "en_US")["id"]
    ours = _template(api, sender, "summer_promo")["id"]

    def ours_now() -> dict[str, Any]:
        result: dict[str, Any] = api.get(f"/api/v1/templates/{ours}")
        return result

    # First pause: Meta's ladder, 3 hours, with its description.
    simulator.template_status(tid, "PAUSED")
    paused = wait_for(lambda: (t := ours_now())["status"] == "PAUSED" and t)
    assert paused["status_reason"].startswith(
        "FIRST_PAUSE — Your WhatsApp message template has been paused for 3 hours until"
    )
    assert not paused["sendable"]
    # The pause ends on Meta's clock: the simulator unpauses it and says so.
    simulator.advance(3 * 3600 + 1)
    unpaused = wait_for(lambda: (t := ours_now())["status"] == "APPROVED" and t)
    assert unpaused["status_reason"].startswith("UNPAUSE")

    simulator.template_quality(tid, "RED")
    wait_for(lambda: ours_now()["quality_score"] == "RED")
    simulator.template_category(tid, "UTILITY", notice=True)
    notice = wait_for(lambda: (t := ours_now())["pending_category"] == "UTILITY" and t)
    assert notice["category"] == "MARKETING" and notice["pending_category_at"] is not None
    simulator.template_category(tid, "UTILITY")
    wait_for(lambda: ours_now()["category"] == "UTILITY")
    assert ours_now()["pending_category"] is None
    simulator.template_status(tid, "DISABLED")
    wait_for(lambda: ours_now()["status"] == "DISABLED")
    assert ours_now()["status_info"]["disable_date"]

    history = api.get(f"/api/v1/templates/{ours}/history")
    assert [
        (h["field"], h["from_state"], h["to_state"], h["event"], h["actor"]) for h in history
    ] == [
        ("status", None, "APPROVED", "synced", history[0]["actor"]),
        ("status", "APPROVED", "PAUSED", "paused", "webhook"),
        ("status", "PAUSED", "APPROVED", "approved", "webhook"),
        ("quality_score", "GREEN", "RED", "quality_red", "webhook"),
        ("category", "MARKETING", "UTILITY", "recategorised", "webhook"),
        ("status", "APPROVED", "DISABLED", "disabled", "webhook"),
    ]
    with ctx.db.read() as session:
        types = list(
            session.scalars(
                select(OutboxEvent.type)
                .where(OutboxEvent.entity == "template", OutboxEvent.entity_id == ours)
                .order_by(OutboxEvent.id)
            )
        )
    assert types == [
        "template.status_changed",
        "template.status_changed",
        "template.status_changed",
        "template.quality_score_changed",
        "template.category_change_announced",
        "template.category_changed",
        "template.status_changed",
    ]
    # A rejection carries Meta's reason into the catalogue.
    other = simulator.template(WABA, "order_shipped", "en_US")["id"]
    simulator.template_status(other, "REJECTED", reason="INCORRECT_CATEGORY")
    shipped = _template(api, sender, "order_shipped")["id"]
    rejected = wait_for(
        lambda: (t := api.get(f"/api/v1/templates/{shipped}"))["status"] == "REJECTED" and t
    )
    assert rejected["rejected_reason"] == "INCORRECT_CATEGORY"


# --- the simulator's send checks ----------------------------------------------------------------

CREDS = SenderCredentials(PNID, TOKEN)
IMAGE = {
    "type": "header",
    "parameters": [{"type": "image", "image": {"link": "https://x.test/a.jpg"}}],
}


def _body(*values: str) -> dict[str, Any]:
    return {"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}


URL_BUTTON = {
    "type": "button",
    "sub_type": "url",
    "index": "0",
    "parameters": [{"type": "text", "text": "SUMMER25"}],
}


def _send(simulator: SimHandle, name: str, language: str, components: list[dict[str, Any]]) -> Any:
    async def run() -> Any:
        client = WhatsAppCloudClient(simulator.url, "v23.0")
        try:
            return await client.send_template(
                CREDS,
                TemplateMessage(
                    to="+15550123456",
                    template_name=name,
                    language=language,
                    components=tuple(components),
                ),
            )
        finally:
            await client.close()

    return asyncio.run(run())


def _refused(
    simulator: SimHandle, name: str, language: str, components: list[dict[str, Any]]
) -> tuple[int, str]:
    result = _send(simulator, name, language, components)
    assert result.error is not None, f"{name} was accepted"
    assert result.error.kind == "template-stop"
    details = result.error.details.get("error_data", {}).get("details", "")
    return int(result.error.code), str(details)


def test_the_simulator_refuses_template_sends_as_meta_does(simulator: SimHandle) -> None:
    simulator.add_number(PNID, TOKEN, waba_id=WABA)
    good = [IMAGE, _body("Ana", "25%"), URL_BUTTON]
    assert _send(simulator, "summer_promo", "en_US", good).accepted

    def summer(*components: dict[str, Any]) -> tuple[int, str]:
        return _refused(simulator, "summer_promo", "en_US", list(components))

    # 132001: no such name (strict), no such language, not approved.
    simulator.configure(template_catalogue="strict")
    assert _refused(simulator, "no_such_template", "en_US", []) == (
        132001,
        "template name (no_such_template) does not exist in en_US",
    )
    assert _refused(simulator, "summer_promo", "en", good)[0] == 132001
    assert _refused(simulator, "address_update", "en_US", [_body("Ana")])[0] == 132001
    # 132015 paused, 132016 disabled.
    assert _refused(simulator, "weekend_flash_sale", "en_US", [_body("Ana", "40%")])[0] == 132015
    assert _refused(simulator, "old_newsletter", "en", [_body("Ana")])[0] == 132016
    # 132012: the media header left out (Meta's captured wording), of another type; a named
    # template sent positional parameters.
    assert summer(_body("Ana", "25%"), URL_BUTTON) == (
        132012,
        "header: Format mismatch, expected IMAGE, received UNKNOWN",
    )
    video = {"type": "header", "parameters": [{"type": "video", "video": {"link": "https://x/v"}}]}
    code, details = summer(video, _body("Ana", "25%"), URL_BUTTON)
    assert code == 132012 and details.endswith("expected IMAGE, received VIDEO")
    named = [IMAGE, _body("Jessica", "WELCOME25", "25%")]
    assert _refused(simulator, "welcome_discount_template", "en_US", named)[0] == 132012
    # 132000: a parameter count that is not the template's (Meta's captured wording).
    assert summer(IMAGE, _body("Ana"), URL_BUTTON) == (
        132000,
        "body: number of localizable_params (1) does not match the expected number of params (2)",
    )
    assert _refused(simulator, "hello_world", "en_US", [_body("extra")])[0] == 132000
    # 131008: the URL's dynamic suffix left out.
    assert summer(IMAGE, _body("Ana", "25%"))[0] == 131008
    # 132007: a newline, a tab, five spaces in a parameter.
    for bad in ("Ana\nSmith", "Ana\tSmith", "Ana     Smith"):
        assert summer(IMAGE, _body(bad, "25%"), URL_BUTTON)[0] == 132007
    # 132005: the filled-in body over 1,024 characters; a text header over 60.
    assert summer(IMAGE, _body("A" * 1000, "25%"), URL_BUTTON)[0] == 132005
    header = {"type": "header", "parameters": [{"type": "text", "text": "x" * 60}]}
    coupon = [header, _body("SUMMER20", "10")]
    assert _refused(simulator, "coupon_expiration_reminder_number_vars", "en", coupon)[0] == 132005

    refused = [r for r in simulator.requests() if r.get("type") == "template" and not r["accepted"]]
    assert len(refused) == 16 and len(simulator.sent()) == 1
    # Lenient (the default): a name the account does not have passes, a known one is checked.
    simulator.configure(template_catalogue="lenient")
    assert _send(simulator, "no_such_template", "en_US", []).accepted
    assert _refused(simulator, "summer_promo", "en_US", [])[0] == 132012


def test_the_builders_request_is_accepted_for_image_two_params_and_a_url_button(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    api, sender, _ = _setup(ctx, simulator, live_server_factory, keys)
    simulator.configure(template_catalogue="strict")
    api.post(f"/api/v1/senders/{sender}/templates/sync")
    detail = api.get(f"/api/v1/templates/{_template(api, sender, 'summer_promo')['id']}")
    slots = parse_components(detail["components"], detail["parameter_format"])
    mapping = SlotMapping.model_validate(
        {
            "header": {"image": {"link": "https://cdn.example.com/summer/ana.jpg"}},
            "body": {"1": {"column": "first_name"}, "2": {"value": "25%"}},
            "buttons": [{"index": 0, "sub_type": "url", "column": "coupon"}],
        }
    )
    built = build_template(
        "summer_promo", "en_US", slots, mapping, {"first_name": "Ana", "coupon": "ANA25"}
    )
    assert built == {
        "name": "summer_promo",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "header",
                "parameters": [
                    {"type": "image", "image": {"link": "https://cdn.example.com/summer/ana.jpg"}}
                ],
            },
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "25%"}],
            },
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": "ANA25"}],
            },
        ],
    }
    result = _send(simulator, built["name"], built["language"]["code"], built["components"])
    assert result.accepted, result.error
    [sent] = simulator.sent()
    assert (sent["template"], sent["language"]) == ("summer_promo", "en_US")
    assert sent["components"] == built["components"]  # field by field, as the simulator got it


# --- media ---------------------------------------------------------------------------------------


def _png(size: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    image = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    image += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
    if size:
        image += chunk(b"tEXt", b"pad\x00" + b"x" * size)
    return b"\x89PNG\r\n\x1a\n" + image + chunk(b"IEND", b"")


def _upload(api: ApiClient, sender: int, data: bytes, mime: str, filename: str = "a.png") -> Any:
    boundary = uuid.uuid4().hex
    raw = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {mime}\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return api.request(
        "POST",
        f"/api/v1/senders/{sender}/media",
        raw=raw,
        ctype=f"multipart/form-data; boundary={boundary}",
    )


def test_media_is_uploaded_once_checked_first_and_reused_in_sends(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    api, sender, _ = _setup(ctx, simulator, live_server_factory, keys)
    png = _png()
    first = _upload(api, sender, png, "image/png")
    assert (first["kind"], first["mime_type"], first["size_bytes"], first["reused"]) == (
        "image",
        "image/png",
        len(png),
        False,
    )
    again = _upload(api, sender, png, "image/png")
    assert again["reused"] and again["media_id"] == first["media_id"] and again["id"] == first["id"]
    uploads = [r for r in simulator.requests() if r.get("type") == "media"]
    assert [(u["mime"], u["size"], u["id"]) for u in uploads] == [
        ("image/png", len(png), first["media_id"])
    ]
    listed = api.get(f"/api/v1/senders/{sender}/media")
    assert [m["media_id"] for m in listed["items"]] == [first["media_id"]]

    # Checked before any upload: a type Meta refuses, bytes that are not the declared type, size.
    status, body = problem(lambda: _upload(api, sender, b"hello", "image/gif"))
    assert status == 422 and "image/gif" in body["detail"]
    status, body = problem(lambda: _upload(api, sender, b"just text", "image/png"))
    assert status == 422 and "131053" in body["detail"]
    status, body = problem(lambda: _upload(api, sender, _png(5 * 1024 * 1024), "image/png"))
    assert status == 413 and "5 MB" in body["detail"]
    assert len([r for r in simulator.requests() if r.get("type") == "media"]) == 1

    # The stored id in a send: accepted; an id Meta never issued: 131053.
    by_id = {
        "type": "header",
        "parameters": [{"type": "image", "image": {"id": first["media_id"]}}],
    }
    assert _send(
        simulator, "summer_promo", "en_US", [by_id, _body("Ana", "25%"), URL_BUTTON]
    ).accepted
    unknown = {"type": "header", "parameters": [{"type": "image", "image": {"id": "123"}}]}
    assert (
        _refused(simulator, "summer_promo", "en_US", [unknown, _body("Ana", "25%"), URL_BUTTON])[0]
        == 131053
    )


# --- the scheduler job ----------------------------------------------------------------------------


def test_the_scheduler_job_syncs_accounts_when_due(
    ctx: AppContext, simulator: SimHandle, keys: KeyMaker, clock: ManualClock
) -> None:
    simulator.add_number(PNID, TOKEN, waba_id=WABA)
    job_ctx = AppContext(
        settings=make_settings(ctx.settings.database_url, graph_api_url=simulator.url),
        db=Database(ctx.settings.database_url),
        clock=clock,
    )
    try:
        new_sender(
            ctx, phone_number_id=PNID, access_token=TOKEN, waba_id=WABA, created_at=clock.now()
        )

        def reads() -> int:
            return len([r for r in simulator.requests() if r.get("type") == "list_templates"])

        # A new account's first reading is one interval after its number was added.
        assert template_sync.sync_job(job_ctx) == 0 and template_sync.run_due(job_ctx) == 0
        assert reads() == 0
        clock.advance(job_ctx.settings.template_sync_interval + timedelta(seconds=1))
        assert template_sync.run_due(job_ctx) == 1 and reads() == 1
        assert template_sync.run_due(job_ctx) == 0 and reads() == 1
        # An edit at Meta (message_template_components_update) makes it due at once; the job
        # hands the pass to its background runner and returns (the scheduler is not held up).
        with ctx.db.write() as session:
            assert repository.mark_due(session, WABA) == 1
        assert template_sync.sync_job(job_ctx) == 1
        job_ctx.local(template_sync.RUNNER).join(30)
        assert reads() == 2
        assert template_sync.sync_job(job_ctx) == 0
    finally:
        job_ctx.db.dispose()


def test_an_unknown_business_account_never_stops_the_other_syncs(
    ctx: AppContext, simulator: SimHandle, clock: ManualClock
) -> None:
    """The scheduler's pass: an account Meta does not know is logged and skipped (422 at the
    door), and the next account is still read."""
    simulator.add_number(PNID, TOKEN, waba_id=WABA)
    simulator.add_number("8012", "token-8012", waba_id="100000000000812")
    added = clock.now()
    new_sender(
        ctx,
        phone_number_id="8012",
        access_token="token-8012",
        waba_id="100000000000998",
        created_at=added,
    )
    new_sender(ctx, phone_number_id=PNID, access_token=TOKEN, waba_id=WABA, created_at=added)
    every = ctx.settings.template_sync_interval
    clock.advance(every + timedelta(seconds=1))

    async def run() -> int:
        client = WhatsAppCloudClient(simulator.url, "v23.0")
        try:
            return await template_sync.sync_due(ctx, client, every=every)
        finally:
            await client.close()

    assert asyncio.run(run()) == 1
    with ctx.db.read() as session:
        workspace_id = KeyMaker(ctx).workspace_id()
        assert repository.count(session, workspace_id, WABA) > 0
        assert repository.count(session, workspace_id, "100000000000998") == 0
