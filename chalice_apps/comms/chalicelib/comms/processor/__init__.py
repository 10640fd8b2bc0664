"""Channel processors: a queued context object becomes a conversation record, an AI-written
first message, and one send (Twilio: WhatsApp template or SMS; SendGrid: e-mail), exactly
once."""
