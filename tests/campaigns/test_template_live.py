"""Issue 14 over real HTTP: our API, dispatcher and applier under uvicorn, the simulator playing
Meta with its strict template catalogue. A mapped campaign (image header + 2 body parameters + a
URL button suffix) sends exactly the request Meta documents, checked field by field as the
simulator received it; a campaign started with auto_resume runs again when Meta un-pauses its
template; the quality guard pauses a campaign when its template's quality turns RED."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relaybird.cli.apiclient import ApiClient
from relaybird.context import AppContext
from relaybird.providers.whatsapp.client import WhatsAppCloudClient
from tests.factories import KeyMaker, new_sender
from tests.fixtures.live_server import LiveServer
from tests.fixtures.simulator import SimHandle
from tests.rooms.helpers import wait_for

WABA, PNID, TOKEN = "100000000000666", "6661", "tok-6661"
LINK = "https://cdn.example.com/summer/{}.jpg"


def _setup(
    ctx: AppContext,
    simulator: SimHandle,
    factory: Callable[..., LiveServer],
    keys: KeyMaker,
    **sender: Any,
) -> tuple[ApiClient, int]:
    simulator.add_number(PNID, TOKEN, waba_id=WABA)
    simulator.configure(template_catalogue="strict", delivered_p=1.0)
    ctx.catalogue = WhatsAppCloudClient(simulator.url, "v23.0")
    ctx.provider = WhatsAppCloudClient(simulator.url, "v23.0")
    server = factory(loops=True)
    simulator.configure(webhook_url=server.whatsapp_webhook_url)
    api = ApiClient(server.url, keys.create())
    sender_id = new_sender(ctx, phone_number_id=PNID, access_token=TOKEN, waba_id=WABA, **sender)
    api.post(f"/api/v1/senders/{sender_id}/templates/sync")
    return api, sender_id


def _template_id(api: ApiClient, sender: int, name: str) -> int:
    items = api.get(f"/api/v1/templates?sender_id={sender}&name={name}")["items"]
    return int(next(t["id"] for t in items if t["name"] == name))


def test_live_an_image_header_two_body_params_and_a_url_suffix_go_out_as_meta_documents(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    api, sender = _setup(ctx, simulator, live_server_factory, keys)
    body = {
        "name": "summer",
        "sender_id": sender,
        "template": {
            "template_id": _template_id(api, sender, "summer_promo"),
            "mapping": {
                "header": {"image": {"column": "picture"}},
                "body": {"1": {"column": "first_name"}, "2": {"value": "25%"}},
                "buttons": [{"index": 0, "sub_type": "url", "column": "coupon"}],
            },
        },
    }
    cid = api.post("/api/v1/campaigns", body)["id"]
    rows = ["phone,first_name,coupon,picture"] + [
        f"+1212555{i:04d},Name{i},CODE{i},{LINK.format(i)}" for i in range(3)
    ]
    rows.append("+12125559999,,CODE9," + LINK.format(9))  # empty: never sent
    summary = api.upload(f"/api/v1/campaigns/{cid}/recipients", "a.csv", "\n".join(rows).encode())
    assert (summary["accepted"], summary["invalid"]) == (3, 1)
    assert summary["errors"] == [
        {"row": 5, "reason": "body.1: empty value (column 'first_name' is empty)"}
    ]
    api.post(f"/api/v1/campaigns/{cid}/start")
    reached = ("SENT", "DELIVERED", "READ")
    done = wait_for(
        lambda: (
            sum((c := api.get(f"/api/v1/campaigns/{cid}"))["counts"][s] for s in reached) == 3 and c
        )
    )
    assert done["counts"]["INVALID_RECORD"] == 1
    sent = sorted(simulator.sent(), key=lambda s: str(s["to"]))
    assert len(sent) == 3  # nothing refused, nothing for the invalid row
    for i, s in enumerate(sent):
        assert (s["template"], s["language"]) == ("summer_promo", "en_US")
        assert s["to"].endswith(f"555{i:04d}")
        header, text, button = s["components"]
        assert header == {
            "type": "header",
            "parameters": [{"type": "image", "image": {"link": LINK.format(i)}}],
        }
        assert text == {
            "type": "body",
            "parameters": [
                {"type": "text", "text": f"Name{i}"},
                {"type": "text", "text": "25%"},
            ],
        }
        assert button == {
            "type": "button",
            "sub_type": "url",
            "index": "0",
            "parameters": [{"type": "text", "text": f"CODE{i}"}],
        }
    # The preview shows the same request for the first row.
    preview = api.get(f"/api/v1/campaigns/{cid}/preview?row=2")
    assert preview["request"]["components"] == sent[0]["components"]


def _campaign(api: ApiClient, sender: int, **options: Any) -> int:
    body = {
        "name": "orders",
        "sender_id": sender,
        "template": {
            "name": "order_confirmation",
            "language": "en_US",
            "mapping": {"body": {"1": {"column": "name"}, "2": {"column": "order"}}},
        },
        **options,
    }
    cid = int(api.post("/api/v1/campaigns", body)["id"])
    rows = ["phone,name,order"] + [f"+1212555{i:04d},Ana,A-{i}" for i in range(30)]
    api.upload(f"/api/v1/campaigns/{cid}/recipients", "a.csv", "\n".join(rows).encode())
    api.post(f"/api/v1/campaigns/{cid}/start")
    return cid


def _sends() -> Callable[[SimHandle], list[dict[str, Any]]]:
    return lambda sim: [r for r in sim.requests() if r.get("template") == "order_confirmation"]


def test_live_auto_resume_when_meta_unpauses_and_the_red_quality_guard(
    ctx: AppContext,
    simulator: SimHandle,
    live_server_factory: Callable[..., LiveServer],
    keys: KeyMaker,
) -> None:
    api, sender = _setup(ctx, simulator, live_server_factory, keys, throughput_cap=1)
    sends = _sends()
    auto = _campaign(api, sender, auto_resume=True, quality_guard=True)
    manual = _campaign(api, sender)
    wait_for(lambda: len(sends(simulator)) >= 2)
    tid = simulator.template(WABA, "order_confirmation", "en_US")["id"]
    simulator.template_status(tid, "PAUSED")
    for cid in (auto, manual):
        wait_for(lambda cid=cid: api.get(f"/api/v1/campaigns/{cid}")["state"] == "PAUSED")
    # Meta un-pauses it: the auto_resume campaign runs again by itself, the other waits.
    simulator.template_status(tid, "APPROVED")
    wait_for(lambda: api.get(f"/api/v1/campaigns/{auto}")["state"] == "RUNNING")
    resumed = api.get(f"/api/v1/campaigns/{auto}")
    assert resumed["pause_reason"] is None and resumed["paused_by"] is None
    assert api.get(f"/api/v1/campaigns/{manual}")["state"] == "PAUSED"
    # Its quality turns RED: the guarded campaign pauses with the guard's reason (the other,
    # unguarded and resumed by hand, keeps running).
    api.post(f"/api/v1/campaigns/{manual}/resume")
    before = len(sends(simulator))
    wait_for(lambda: len(sends(simulator)) > before)
    simulator.template_quality(tid, "RED")
    paused = wait_for(
        lambda: (c := api.get(f"/api/v1/campaigns/{auto}"))["state"] == "PAUSED" and c
    )
    assert paused["pause_reason"] == (
        "quality guard: template 'order_confirmation' (en_US) quality is RED"
    )
    assert api.get(f"/api/v1/campaigns/{manual}")["state"] == "RUNNING"
    # Resuming by hand onto RED is the user's call; an un-pause does not resume it while RED.
    simulator.template_status(tid, "APPROVED")
    simulator.wait_webhooks_idle()
    assert api.get(f"/api/v1/campaigns/{auto}")["state"] == "PAUSED"
