"""Twilio's delivery status callbacks."""
