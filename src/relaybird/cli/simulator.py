"""`relaybird simulator`: the fake Meta (and Twilio, LINE, WeChat), for demos, tests and
benchmarks."""

from __future__ import annotations

from typing import Annotated

import typer

from relaybird.cli.common import console, friendly, load_settings


@friendly
def simulator(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8900,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    webhook_url: Annotated[
        str | None,
        typer.Option(
            help="Where to POST signed webhooks, e.g. http://127.0.0.1:8000/webhooks/whatsapp."
        ),
    ] = None,
    app_secret: Annotated[
        str | None,
        typer.Option(
            help="Secret that signs webhooks (X-Hub-Signature-256). "
            "Default: RELAYBIRD_WHATSAPP_APP_SECRET, else 'sim-app-secret'."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random choice (reproducible runs).")] = 1,
    clock_factor: Annotated[
        float,
        typer.Option(
            help="Lifecycle clock speed: simulated seconds per real second (3600: a "
            "24 h window passes in 24 s)."
        ),
    ] = 60.0,
    batch_max: Annotated[
        int, typer.Option(help="Statuses of one number batched into one webhook POST.")
    ] = 1,
    not_on_whatsapp: Annotated[
        float, typer.Option(help="Fraction of recipients not on WhatsApp (failed 131026).")
    ] = 0.0,
    throughput: Annotated[
        int, typer.Option(help="Messages per second per number before error 130429.")
    ] = 80,
    template_catalogue: Annotated[
        str,
        typer.Option(
            help="strict: a template name the account's catalogue lacks is refused (132001), as "
            "at Meta. lenient: such a name passes unchecked. Catalogued templates are always "
            "checked as Meta does (parameters, format, status).",
        ),
    ] = "lenient",
) -> None:
    """Play Meta's WhatsApp Cloud API over HTTP: Graph send and phone-number endpoints, signed
    status webhooks, recipients not on WhatsApp, throughput caps, the number lifecycle, a
    template catalogue per business account (list API with paging, Meta's send checks, media
    upload, pause/disable/reject/quality/category controls sending the real webhooks).

    Point the engine at it with RELAYBIRD_GRAPH_API_URL=http://HOST:PORT. Control it under
    /_sim (numbers, quality, faults, inbound messages, templates; GET /_sim/sent lists what it
    received).

    It also plays Twilio (SMS & Voice) under /twilio, the LINE Messaging API under /line and the
    WeChat Official Account API under /wechat (RELAYBIRD_TWILIO_API_URL=http://HOST:PORT/twilio,
    and so on), with signed callbacks; their control planes are under /_sim/twilio, /_sim/line
    and /_sim/wechat.
    """
    from relaybird.simulator.config import SimConfig
    from relaybird.simulator.server import run_forever

    from_env = load_settings().whatsapp_app_secret.get_secret_value()
    secret = app_secret or from_env or DEFAULT_SECRET
    config = SimConfig(
        seed=seed,
        app_secret=secret,
        webhook_url=webhook_url,
        clock_factor=clock_factor,
        batch_max=batch_max,
        not_on_whatsapp_p=not_on_whatsapp,
        throughput_mps=throughput,
        template_catalogue=template_catalogue,
    )
    if template_catalogue not in ("strict", "lenient"):
        raise typer.BadParameter("strict or lenient", param_hint="--template-catalogue")
    console.print(
        f"[green]simulator[/] on http://{host}:{port} (seed {seed}); webhooks → "
        f"{webhook_url or 'nowhere (recorded only)'}"
    )
    console.print(signing_note(app_secret, from_env), soft_wrap=True)
    run_forever(config, host, port)


DEFAULT_SECRET = "sim-app-secret"  # noqa: S105 (the simulator's public test secret)


def signing_note(given: str | None, from_env: str) -> str:
    """Which secret the webhooks are signed with, so relaybird can be started with the same one
    (a mismatch refuses every webhook with 401). A secret of the user's is named, never shown."""
    if given:
        return (
            "webhooks signed with the --app-secret given: start relaybird with the same value "
            "in RELAYBIRD_WHATSAPP_APP_SECRET"
        )
    if from_env:
        return "webhooks signed with RELAYBIRD_WHATSAPP_APP_SECRET from this environment"
    return (
        f"webhooks signed with the default secret {DEFAULT_SECRET!r}: start relaybird with "
        f"RELAYBIRD_WHATSAPP_APP_SECRET={DEFAULT_SECRET}"
    )


def register(app: typer.Typer) -> None:
    app.command()(simulator)
