from pathlib import Path

WEBHOOK_FIXTURES = Path(__file__).parent / "whatsapp-webhooks"

# Template, media, pricing and consent bodies (Meta's docs, OAS, captured, assembled; MANIFEST.md).
TEMPLATE_FIXTURES = Path(__file__).parent / "whatsapp-templates"
