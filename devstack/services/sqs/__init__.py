"""SQS: queues and their policies, and the event source mappings' delivery to a function
(``delivery.py``, run by one ``worker.py`` process per mapping)."""
