"""The comms app's logic: the channel router, the channel processors, and the providers'
delivery reports, one module per concern.

- The channel router validates a conversation request, checks the company config and queues
  it: ``routing`` (POST /initiate-conversation) → ``validation`` (of ``request_body``) →
  ``company_config`` → ``context`` → ``dispatch``; ``exceptions`` says why it refused.
"""
