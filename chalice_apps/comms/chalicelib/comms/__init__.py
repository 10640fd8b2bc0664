"""The comms app's logic: the channel router, the channel processors, and the providers'
delivery reports, one module per concern.

- The channel router validates a conversation request, checks the company config and queues
  it: ``routing`` (POST /initiate-conversation) → ``validation`` (of ``request_body``) →
  ``company_config`` → ``context`` → ``dispatch``.
- The channel processors turn a queued context object (``context_object``) into a
  conversation record, an AI-written first message, and one send (Twilio: WhatsApp template
  or SMS; SendGrid: e-mail), exactly once: ``batch`` → ``sending``, with ``conversations``,
  ``credentials``, ``ai``, ``budget``, ``retry``, ``outbound`` (``messaging``, ``mail``,
  ``transport``), ``heartbeat`` and ``poison``; built by ``processor_wiring``.
- The providers' delivery reports: Twilio's status callbacks (``callbacks``) and SendGrid's
  Event Webhook (``email_events``, signed: ``sendgrid_signature``).

``wiring`` builds the router's and the delivery reports' dependencies; each function's
environment is read as its model in ``settings``; ``exceptions`` holds every area's errors.
"""
