"""`relaybird demo`: the main job on the embedded default, end to end, in one command.

Starts relaybird (a fresh SQLite file, API + loops in this process) and the simulator (playing
Meta, Twilio, LINE and WeChat; its template catalogue strict), creates a sender, syncs its
template catalogue and creates a campaign through the API (an image header, two body parameters
and a URL button, each mapped to a column or a constant), uploads a generated CSV with some bad
rows, shows one recipient's preview and the cost estimate, starts it, and shows live per-state
counts, rate and ETA until every recipient is done; then the final table, the Direct networks in
three short scenes (``demo_networks.py``), and where to look next. Keeps serving until Ctrl-C
(``--exit``: stop after the table, for scripts). Either way its temporary folder (database,
spooled upload) is removed.

The hints are commands people copy: printed unwrapped whatever the terminal (or file) width,
with the path of this very executable.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import shlex
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from relaybird.campaigns.transitions import FAILED_STATES
from relaybird.cli import demo_networks
from relaybird.cli.apiclient import ApiClient, ApiError
from relaybird.cli.common import console, friendly
from relaybird.config import Settings
from relaybird.context import AppContext
from relaybird.kit import sealing

DEMO_NUMBER = "1065550100"
DEMO_WABA = "106555010000001"
# The demo's campaign: a seeded marketing template with an image header, two body parameters
# and a URL button whose suffix is each recipient's coupon (issue 14's slot mapping).
DEMO_TEMPLATE = {
    "name": "summer_promo",
    "language": "en_US",
    "mapping": {
        "header": {"image": {"link": "https://cdn.example.com/relaybird-demo/summer.jpg"}},
        "body": {"1": {"column": "first_name"}, "2": {"value": "25%"}},
        "buttons": [{"index": 0, "sub_type": "url", "column": "coupon"}],
    },
}
DONE = ("INITIAL", "IN_PROGRESS", "RETRY_SCHEDULED")
ORDER = (
    "INITIAL",
    "IN_PROGRESS",
    "RETRY_SCHEDULED",
    "SENT",
    "DELIVERED",
    "READ",
    "DELIVERY_FAILED",
    "SENDING_FAILED",
    "ERROR",
    "REMOVED",
    "CANCELED_BY_ADMIN",
    "INVALID_RECORD",
)
STYLE = {
    "READ": "green",
    "DELIVERED": "green",
    "SENT": "cyan",
    "DELIVERY_FAILED": "red",
    "SENDING_FAILED": "red",
    "ERROR": "red",
    "INVALID_RECORD": "yellow",
}


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


@friendly
def demo(
    exit_: Annotated[
        bool, typer.Option("--exit", help="Stop after the final table instead of serving on.")
    ] = False,
    port: Annotated[
        int, typer.Option(help="Port for relaybird's API (a free one if taken, or 0).")
    ] = 8000,
    recipients: Annotated[int, typer.Option(help="Rows in the generated CSV.")] = 3000,
    throughput: Annotated[int, typer.Option(help="The sender's messages per second.")] = 250,
    seed: Annotated[int, typer.Option(help="Seed of the generated list and the simulator.")] = 7,
    networks: Annotated[
        bool,
        typer.Option(
            help="After the campaign, show the Direct networks: an SMS conversation (Twilio), a "
            "LINE invitation accepted through account linking, a WeChat QR scan."
        ),
    ] = True,
) -> None:
    """Run a whole campaign against the built-in WhatsApp simulator, with live progress.

    Nothing to install or configure: a fresh SQLite database in a temporary folder, the
    simulator on a free port, relaybird on PORT. Ctrl-C stops it and removes the folder (so do
    `kill` and closing the terminal).
    """
    previous = _stop_on_term_and_hangup()
    workdir = Path(tempfile.mkdtemp(prefix="relaybird-demo-"))
    try:
        _run(workdir, exit_, port, recipients, throughput, seed, networks)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _stop_on_term_and_hangup() -> dict[int, Any]:
    """SIGTERM (`kill`, a service manager) and SIGHUP (the terminal closed) stop the demo as
    Ctrl-C does: servers stopped, the temporary folder removed. Python's default for both is to
    die at once and leave the folder behind. Only the main thread may set handlers (the CLI
    runs there; an in-process caller elsewhere keeps the defaults)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}


def _run(
    workdir: Path,
    exit_: bool,
    port: int,
    recipients: int,
    throughput: int,
    seed: int,
    networks: bool,
) -> None:
    from relaybird.db import migrate
    from relaybird.simulator.config import SimConfig
    from relaybird.simulator.server import SimulatorThread

    db_url = f"sqlite:///{workdir / 'relaybird.db'}"
    app_secret = secrets.token_hex(16)
    admin_key = "rbk_demo_" + secrets.token_urlsafe(18)
    api_port = port if port and _free(port) else _any_free_port()
    api_url = f"http://127.0.0.1:{api_port}"

    console.print(f"[bold]relaybird demo[/] · database {workdir / 'relaybird.db'}", soft_wrap=True)
    sim = SimulatorThread(
        SimConfig(
            seed=seed,
            app_secret=app_secret,
            webhook_url=f"{api_url}/webhooks/whatsapp",
            not_on_whatsapp_p=0.03,
            delivered_p=0.96,
            read_p=0.7,
            failed_p=0.5,
            error_rates={131000: 0.01},
            sent_delay=0.3,
            delivered_delay=0.8,
            read_delay=2.0,
            batch_max=50,
            throughput_mps=throughput,
            template_catalogue="strict",
        )
    ).start()
    server: _Server | None = None
    ctx: AppContext | None = None
    mailbox = demo_networks.Mailbox()  # the contacts' inboxes (invitation e-mails)
    try:
        console.print(f"  simulator (plays Meta's Cloud API) on {sim.url}")
        settings = Settings(
            database_url=db_url,
            graph_api_url=sim.url,
            whatsapp_app_secret=app_secret,
            whatsapp_verify_token=secrets.token_hex(8),
            direct_webhook_secret=secrets.token_hex(16),
            secret_key=sealing.new_key(),
            bootstrap_admin_key=admin_key,
            public_url=api_url,
            twilio_api_url=f"{sim.url}/twilio",
            line_api_url=f"{sim.url}/line",
            line_access_url=f"{sim.url}/line",
            wechat_api_url=f"{sim.url}/wechat",
            wechat_mp_url=f"{sim.url}/wechat",
            smtp_url=mailbox.url,
            retry_base="1s",
            lease="15s",
            send_timeout="5s",
        )
        migrate.upgrade(db_url)
        ctx = AppContext.from_settings(settings)
        server = _serve(ctx, api_port)
        console.print(f"  relaybird (API, webhooks, dispatcher, applier) on {api_url}\n")

        api = ApiClient(api_url, admin_key)
        token = secrets.token_urlsafe(24)
        # The simulated number: a large messaging limit and the demo's throughput.
        sim.call(
            lambda: sim.simulator.add_number(
                DEMO_NUMBER, token, tier="TIER_100K", throughput_mps=throughput, waba_id=DEMO_WABA
            )
        )
        sender = _create_sender(api, ctx, throughput, token)
        synced = api.post(f"/api/v1/senders/{sender}/templates/sync")
        console.print(
            f"template catalogue of business account {DEMO_WABA}: {synced['total']} templates "
            "synced from the simulator"
        )
        campaign = api.post(
            "/api/v1/campaigns",
            {"name": "Summer promo (demo)", "sender_id": sender, "template": DEMO_TEMPLATE},
        )
        cid = campaign["id"]
        csv_bytes, bad = _generate_csv(recipients, seed)
        started = time.monotonic()
        summary = api.upload(f"/api/v1/campaigns/{cid}/recipients", "demo.csv", csv_bytes)
        console.print(
            f"uploaded {recipients:,} rows in {time.monotonic() - started:.1f}s: "
            f"[green]{summary['accepted']:,} accepted[/], "
            f"[yellow]{summary['invalid']:,} invalid[/] ({bad} bad rows planted); first errors:"
        )
        for err in summary["errors"][:4]:
            console.print(f"    row {err['row']}: {err['reason']}", soft_wrap=True)
        _show_preview(api, api_url, cid)
        api.post(f"/api/v1/campaigns/{cid}/start")
        final = _follow(api, cid, summary["accepted"])
        console.print(_table(final, title=f"campaign {cid}: {final['state']}"))
        if networks:
            demo_networks.run(api, sim.url, mailbox)
        if exit_:
            console.print(
                f"\nThe demo has stopped and removed its database (--exit). Run "
                f"`{_self()} demo` without --exit to keep it serving: the dashboard, the API "
                "and the CLI against it.",
                soft_wrap=True,
            )
            return
        _next_steps(api_url, admin_key, db_url, cid, final["counts"])
        console.print("\n[bold]serving until Ctrl-C[/] (then the demo's folder is removed)")
        while server.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
        sim.stop()
        mailbox.stop()
        if ctx is not None:
            ctx.db.dispose()


def _show_preview(api: ApiClient, api_url: str, cid: int) -> None:
    """The first recipient's message as they will get it, its URL, and the cost estimate."""
    preview = api.get(f"/api/v1/campaigns/{cid}/preview")
    console.print(
        f"\n[bold]preview[/] of row {preview['row']} ({preview['template']}), also at "
        f"{api_url}/api/v1/campaigns/{cid}/preview?row={preview['row']} and on the dashboard:",
        soft_wrap=True,
    )
    for line in (preview["header"], preview["body"], preview["footer"], *preview["buttons"]):
        if line:
            for part in str(line).splitlines():
                console.print(f"    {part}", soft_wrap=True, highlight=False, markup=False)
    cost = api.get(f"/api/v1/campaigns/{cid}/cost")
    estimate = cost["estimate"]
    if estimate is not None:
        console.print(
            f"cost estimate ({cost['category']}, rate card of {cost['rate_card']['effective']}): "
            f"{cost['currency']} {float(estimate['amount']):,.2f} for {estimate['priced']:,} "
            f"priced recipients, {estimate['unpriced']:,} in markets the card has no rate for\n",
            soft_wrap=True,
        )


def _follow(api: ApiClient, cid: int, accepted: int) -> dict[str, Any]:
    bar = Progress(TextColumn("[bold]sending"), BarColumn(), TextColumn("{task.description}"))
    task = bar.add_task("", total=max(1, accepted))
    first = time.monotonic()
    samples: list[tuple[float, int]] = []
    stable_since: float | None = None
    finished: float | None = None
    last_counts: dict[str, int] = {}
    with Live(console=console, refresh_per_second=4, transient=True) as live:
        while True:
            body = api.get(f"/api/v1/campaigns/{cid}")
            counts = body["counts"]
            waiting = sum(counts.get(s, 0) for s in DONE)
            done = max(0, accepted - waiting)
            now = time.monotonic()
            samples = [(t, n) for t, n in samples if now - t <= 5.0] + [(now, done)]
            rate = (done - samples[0][1]) / (now - samples[0][0]) if now > samples[0][0] else 0
            eta = f"ETA {waiting / rate:,.0f}s" if rate > 0 and waiting else ""
            note = body.get("waiting_reason") or body.get("pause_reason") or ""
            bar.update(
                task,
                completed=done,
                description=f"{done:,}/{accepted:,} · {rate:,.0f}/s · {eta} {note}".strip(),
            )
            live.update(Group(bar, _table(body)))
            # Done sending, then a short wait for the late delivered/read webhooks to settle.
            if body["state"] == "PAUSED" and body.get("paused_by") == "engine":
                console.print(f"[red]the engine paused the campaign:[/] {body['pause_reason']}")
                return dict(body)
            if body["state"] in ("COMPLETED", "ENDED", "PAUSED") and waiting == 0:
                if finished is None:
                    finished = now - first
                    console.print(
                        f"all {accepted:,} recipients done in {finished:.1f}s "
                        f"({accepted / max(finished, 0.001):,.0f}/s); waiting for the last "
                        "delivered/read webhooks"
                    )
                if stable_since is None or counts != last_counts:
                    stable_since = now
                if now - stable_since > 4.0 or now - first > 600:
                    return dict(body)
            last_counts = counts
            time.sleep(0.5)


def _table(body: dict[str, Any], title: str | None = None) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("state")
    table.add_column("recipients", justify="right")
    counts = body["counts"]
    total = sum(counts.values()) or 1
    for state in ORDER:
        n = counts.get(state, 0)
        if n or state in ("INITIAL", "SENT", "DELIVERED", "READ"):
            style = STYLE.get(state, "")
            table.add_row(f"[{style}]{state}[/]" if style else state, f"{n:,}")
    table.add_row("[bold]total[/]", f"[bold]{total:,}[/]", end_section=True)
    if body.get("reply_count"):
        table.add_row("replies", f"{body['reply_count']:,} ({body['reply_rate']:.1%})")
    return table


def _self() -> str:
    """How to run this relaybird again from here: the executable beside this Python (the
    venv's), relative to the working directory when inside it (`.venv/bin/relaybird`)."""
    exe = Path(sys.executable).parent / "relaybird"
    if not exe.exists():
        return "relaybird"
    try:
        return os.path.relpath(exe) if exe.resolve().is_relative_to(Path.cwd()) else str(exe)
    except ValueError:
        return str(exe)


def _next_steps(api_url: str, key: str, db_url: str, cid: int, counts: dict[str, int]) -> None:
    """Hints that work when pasted: commands unwrapped, the API with its Bearer header (a
    browser session does not open the API), the dashboard for the browser, and a state filter
    that has rows in this run."""
    state = max((s.value for s in FAILED_STATES), key=lambda s: counts.get(s, 0))
    if not counts.get(state):
        state = "READ"
    auth = f"-H 'Authorization: Bearer {key}'"
    me = _self()
    env = f"RELAYBIRD_DATABASE_URL={shlex.quote(db_url)}"
    lines = [
        (
            "dashboard",
            f"{api_url}/ui/campaigns/{cid}  (log in with the admin API key below; the message "
            "preview is beside the upload summary)",
        ),
        (
            f"{state} recipients",
            f"{api_url}/ui/campaigns/{cid}?state={state}  ({counts.get(state, 0):,} in this run)",
        ),
        ("API docs", f"{api_url}/docs"),
        ("admin API key", key),
        ("the campaign", f"curl {auth} {api_url}/api/v1/campaigns/{cid}"),
        ("a preview", f"curl {auth} {api_url}/api/v1/campaigns/{cid}/preview"),
        (
            "its recipients",
            f"curl {auth} '{api_url}/api/v1/campaigns/{cid}/recipients?state={state}'",
        ),
        (
            "results as CSV",
            f"curl {auth} -o campaign-{cid}.csv {api_url}/api/v1/campaigns/{cid}/export.csv",
        ),
        ("from the shell", f"{env} {me} status"),
        ("", f"{env} {me} campaign watch {cid}"),
        ("", f"{env} {me} campaign recipients {cid} --state {state}"),
    ]
    console.print("\n[bold]Where to look next[/]")
    width = max(len(label) for label, _ in lines)
    for label, text in lines:
        console.print(f"  {label:<{width}}  {text}", soft_wrap=True, highlight=False, markup=False)


def _generate_csv(rows: int, seed: int) -> tuple[bytes, int]:
    """A list in the shapes people upload: E.164, national numbers, 00-prefixes, spaces; about
    3 % bad rows (empty or invalid phones, missing names, duplicates)."""
    rng = random.Random(seed)
    lines = ["Guest phone number,first_name,coupon"]
    bad = 0
    phones: list[str] = []
    for i in range(rows):
        number = f"{rng.choice(['212', '415', '646', '312', '617'])}{rng.randint(2000000, 9999999)}"
        name = rng.choice(["Ann", "Bob", "Cyril", "Dana", "Eve", "Fumi", "Gus"])
        roll = rng.random()
        if roll < 0.008:
            phone, bad = "", bad + 1
        elif roll < 0.016:
            phone, bad = f"555-{i}", bad + 1
        elif roll < 0.022:
            phone, name, bad = f"+1{number}", "", bad + 1
        elif roll < 0.03 and phones:
            phone, bad = rng.choice(phones), bad + 1
        elif roll < 0.15:
            # Some abroad, so the cost estimate has markets the rate card prices.
            phone = rng.choice(
                [
                    f"+54 9 11 {rng.randint(20000000, 69999999)}",  # Argentina
                    f"+43 664 {rng.randint(1000000, 9999999)}",  # Austria
                    f"+61 4{rng.randint(10000000, 99999999)}",  # Australia
                ]
            )
            phones.append(phone)
        else:
            phone = rng.choice(
                [f"+1{number}", f"+1 {number[:3]} {number[3:]}", number, f"001{number}"]
            )
            phones.append(phone)
        lines.append(f"{phone},{name},{name.upper() or 'X'}{rng.randint(10, 99)}")
    return ("\n".join(lines) + "\n").encode(), bad


def _create_sender(api: ApiClient, ctx: AppContext, throughput: int, token: str) -> int:
    body = {
        "name": "Demo number",
        "phone_number_id": DEMO_NUMBER,
        "display_phone_number": "+1 555 0100",
        "access_token": token,
        "waba_id": DEMO_WABA,
    }
    try:
        created = api.post("/api/v1/senders", body)
        sender_id = int(created["id"])
        if created.get("status") != "CONNECTED":
            api.post(f"/api/v1/senders/{sender_id}/sync")
        _tune_sender(ctx, sender_id, throughput)
        return sender_id
    except ApiError as exc:
        if exc.status not in (404, 405):
            raise
    # Before the senders API existed: add the number as the sync would (CONNECTED).
    return _tune_sender(ctx, None, throughput, body)


def _tune_sender(
    ctx: AppContext, sender_id: int | None, throughput: int, body: dict[str, str] | None = None
) -> int:
    """Demo numbers get a large messaging limit and the demo's throughput."""
    from relaybird.auth import service as auth
    from relaybird.models import Sender
    from relaybird.models.sender import MessagingLimit, SenderStatus

    with ctx.db.write() as session:
        if sender_id is None:
            assert body is not None
            ws = auth.ensure_workspace(session, auth.DEFAULT_WORKSPACE)
            sender = Sender(workspace_id=ws.id, status=SenderStatus.CONNECTED, **body)
            session.add(sender)
            session.flush()
        else:
            found = session.get(Sender, sender_id)
            assert found is not None
            sender = found
        sender.messaging_limit = MessagingLimit.TIER_100K
        sender.throughput_mps = throughput
        return sender.id


class _Server:
    def __init__(self, ctx: AppContext, port: int) -> None:
        import uvicorn

        from relaybird.app.factory import create_app

        config = uvicorn.Config(
            create_app(ctx, loops=True),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def start(self) -> _Server:
        self.thread.start()
        for _ in range(1000):
            if self.server.started or not self.thread.is_alive():
                break
            time.sleep(0.01)
        if not self.server.started:
            raise RuntimeError("relaybird did not start")
        return self

    def is_alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def _serve(ctx: AppContext, port: int) -> _Server:
    return _Server(ctx, port).start()


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
