"""WhatsApp message templates: the catalogue per business account, its lifecycle, slots, media,
and what messages cost."""
