"""Local servers that speak outside APIs' real wire formats, for tests and the local stack.

The real SDKs talk to them through their base URLs (``OpenAI(base_url=...)``, Twilio's
``client.api.base_url``). Each can be told to fail on demand (``FakeServer.fail_next``).
"""
