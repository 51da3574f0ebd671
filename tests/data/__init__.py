from pathlib import Path

WEBHOOK_FIXTURES = Path(__file__).parent / "whatsapp-webhooks"
