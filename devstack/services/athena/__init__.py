"""Athena and the Glue catalog: workgroups and databases as declared, and a local Athena
(``service.py``) running queries on DuckDB (``sql.py``)."""
