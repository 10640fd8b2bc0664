"""Channel processors: a queued context object becomes a conversation record, an AI-written
first message, and a Twilio send (WhatsApp template or SMS), exactly once."""
