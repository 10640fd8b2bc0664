"""Delivery reports: Twilio's status callbacks and SendGrid's Event Webhook."""
