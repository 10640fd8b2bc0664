"""Bedrock Runtime, which moto lacks: Converse (``converse.py``) and asynchronous invokes
(``async_invoke.py``)."""
