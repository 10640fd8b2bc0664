"""DynamoDB: tables as declared, and the stream pollers Lambda would run (``streams.py``)."""
