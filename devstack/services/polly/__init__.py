"""Polly, which moto lacks: speech synthesis tasks (``service.py``)."""
