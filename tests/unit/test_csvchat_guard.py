"""The SQL guard's verdicts on a corpus of queries a model (or a hostile question or cell)
could produce: each is allowed (with the SQL that runs) or refused (with why). Exact, so a
change of sqlglot that loosens a verdict fails here."""

from __future__ import annotations

import pytest

from chalicelib.csvchat.exceptions import QueryRefusedError
from chalicelib.csvchat.guard import checked_sql

TABLE, DATABASE, LIMIT = "ds_abc", "csvchat_dev", 100
ONLY = f"the query may read only this dataset's table, {TABLE}"
READ_ONLY = "only a read-only query (SELECT or WITH) can run here"
ONE = "send exactly one SQL statement"
RECURSIVE = "WITH RECURSIVE cannot run here"
GENERATED = (
    "functions that make rows without reading the table (sequence, UNNEST) cannot be used here"
)
TWICE = "a WITH declares the same name twice"


def named(name: str) -> str:
    return f"a WITH query may not be named like a table ({name})"


ALLOWED = [
    ("SELECT COUNT(*) FROM ds_abc", "SELECT COUNT(*) FROM ds_abc LIMIT 100"),
    ('SELECT * FROM "ds_abc"', 'SELECT * FROM "ds_abc" LIMIT 100'),
    ("SELECT * FROM ds_abc LIMIT 5", "SELECT * FROM ds_abc LIMIT 5"),
    ("SELECT * FROM ds_abc LIMIT 5000", "SELECT * FROM ds_abc LIMIT 100"),
    (
        "select region, avg(price) from ds_abc group by region",
        "SELECT region, AVG(price) FROM ds_abc GROUP BY region LIMIT 100",
    ),
    ("SELECT * FROM csvchat_dev.ds_abc", "SELECT * FROM csvchat_dev.ds_abc LIMIT 100"),
    (
        "SELECT * FROM awsdatacatalog.csvchat_dev.ds_abc",
        "SELECT * FROM awsdatacatalog.csvchat_dev.ds_abc LIMIT 100",
    ),
    (
        "WITH x AS (SELECT * FROM ds_abc) SELECT COUNT(*) FROM x",
        "WITH x AS (SELECT * FROM ds_abc) SELECT COUNT(*) FROM x LIMIT 100",
    ),
    (
        "SELECT a FROM ds_abc UNION ALL SELECT b FROM ds_abc",
        "SELECT a FROM ds_abc UNION ALL SELECT b FROM ds_abc LIMIT 100",
    ),
    (
        "SELECT * FROM ds_abc WHERE region = 'north' ORDER BY price DESC LIMIT 10",
        "SELECT * FROM ds_abc WHERE region = 'north' ORDER BY price DESC LIMIT 10",
    ),
    ("SELECT 1", "SELECT 1 LIMIT 100"),
    (
        "SELECT * FROM ds_abc -- ; DROP TABLE ds_abc",
        "SELECT * FROM ds_abc /* ; DROP TABLE ds_abc */ LIMIT 100",
    ),
    (
        "SELECT * FROM ds_abc /* ; DELETE FROM ds_abc */",
        "SELECT * FROM ds_abc /* ; DELETE FROM ds_abc */ LIMIT 100",
    ),
    ("SELECT * FROM ds_abc;", "SELECT * FROM ds_abc LIMIT 100"),
    (
        "SELECT region, COUNT(*) FROM ds_abc GROUP BY 1 HAVING COUNT(*) > 1",
        "SELECT region, COUNT(*) FROM ds_abc GROUP BY 1 HAVING COUNT(*) > 1 LIMIT 100",
    ),
    (
        "SELECT date_trunc('month', sold_on), SUM(units) FROM ds_abc GROUP BY 1",
        "SELECT DATE_TRUNC('MONTH', sold_on), SUM(units) FROM ds_abc GROUP BY 1 LIMIT 100",
    ),
    (
        "SELECT * FROM ds_abc a JOIN ds_abc b ON a.id = b.id",
        "SELECT * FROM ds_abc AS a JOIN ds_abc AS b ON a.id = b.id LIMIT 100",
    ),
    (
        "SELECT * FROM (SELECT * FROM ds_abc) t",
        "SELECT * FROM (SELECT * FROM ds_abc) AS t LIMIT 100",
    ),
]

REFUSED = [
    ("DROP TABLE ds_abc", READ_ONLY),
    ("DELETE FROM ds_abc", READ_ONLY),
    ("INSERT INTO ds_abc VALUES (1)", READ_ONLY),
    ("UPDATE ds_abc SET price = 0", READ_ONLY),
    ("CREATE TABLE x AS SELECT * FROM ds_abc", READ_ONLY),
    ("CREATE TABLE x (a INT)", READ_ONLY),
    ("ALTER TABLE ds_abc ADD COLUMNS (x STRING)", READ_ONLY),
    ("MERGE INTO ds_abc USING ds_abc s ON 1 = 1 WHEN MATCHED THEN DELETE", READ_ONLY),
    ("UNLOAD (SELECT * FROM ds_abc) TO 's3://elsewhere/' WITH (format = 'CSV')", READ_ONLY),
    ("EXPLAIN SELECT * FROM ds_abc", READ_ONLY),
    ("SHOW TABLES", READ_ONLY),
    ("DESCRIBE ds_abc", READ_ONLY),
    ("VALUES (1)", READ_ONLY),
    ("GRANT SELECT ON ds_abc TO bob", READ_ONLY),
    ("SELECT 1; DROP TABLE ds_abc", ONE),
    ("SELECT * FROM ds_abc; SELECT * FROM ds_other", ONE),
    ("SELECT 1 /* hidden */; DELETE FROM ds_abc", ONE),
    ("", ONE),
    ("SELECT * FROM ds_other", ONLY),
    ("SELECT * FROM other_db.ds_abc", ONLY),
    ("SELECT * FROM information_schema.tables", ONLY),
    ("SELECT * FROM othercatalog.csvchat_dev.ds_abc", ONLY),
    ("SELECT * FROM ds_abc JOIN ds_other ON 1 = 1", ONLY),
    ("SELECT * FROM ds_abc WHERE id IN (SELECT id FROM ds_other)", ONLY),
    ("WITH ds_abc AS (SELECT * FROM ds_other) SELECT * FROM ds_abc", named("ds_abc")),
    ("SELECT * FROM ds_abc UNION SELECT * FROM ds_other", ONLY),
    ("SELECT * INTO copy FROM ds_abc", "SELECT ... INTO writes a table: only reads can run here"),
    (
        "SELECT * FROM TABLE(system.query(query => 'SELECT 1'))",
        "the function TABLE cannot be used here",
    ),
    ("SELECT my_udf(price) FROM ds_abc", "the function my_udf cannot be used here"),
    (
        "SELECT sagemaker_invoke_endpoint(price) FROM ds_abc",
        "the function sagemaker_invoke_endpoint cannot be used here",
    ),
    ("USING EXTERNAL FUNCTION f(x INT) RETURNS INT LAMBDA 'l' SELECT f(1)", READ_ONLY),
]


# Scope: a WITH name is visible only in its own query (its later WITH items and its body,
# subqueries included), after its declaration, as Trino resolves it. Each refused query here
# would, with a global "any WITH name anywhere" rule, read the other table on Athena.
SCOPE_ALLOWED = [
    (
        "WITH x AS (SELECT * FROM ds_abc) SELECT * FROM (WITH y AS (SELECT * FROM x) "
        "SELECT * FROM y) t",
        "WITH x AS (SELECT * FROM ds_abc) SELECT * FROM (WITH y AS (SELECT * FROM x) "
        "SELECT * FROM y) AS t LIMIT 100",
    ),
    (
        "WITH a AS (SELECT * FROM ds_abc), b AS (SELECT * FROM a) SELECT * FROM b",
        "WITH a AS (SELECT * FROM ds_abc), b AS (SELECT * FROM a) SELECT * FROM b LIMIT 100",
    ),
    (
        "SELECT * FROM ds_abc WHERE EXISTS (WITH x AS (SELECT * FROM ds_abc) SELECT * FROM x)",
        "SELECT * FROM ds_abc WHERE EXISTS(WITH x AS (SELECT * FROM ds_abc) SELECT * FROM x) "
        "LIMIT 100",
    ),
    (
        "SELECT * FROM ds_abc WHERE id IN (WITH x AS (SELECT id FROM ds_abc) SELECT id FROM x)",
        "SELECT * FROM ds_abc WHERE id IN (WITH x AS (SELECT id FROM ds_abc) SELECT id FROM x) "
        "LIMIT 100",
    ),
    (
        "SELECT (WITH x AS (SELECT COUNT(*) c FROM ds_abc) SELECT c FROM x) AS n",
        "SELECT (WITH x AS (SELECT COUNT(*) AS c FROM ds_abc) SELECT c FROM x) AS n LIMIT 100",
    ),
    (
        "WITH x AS (SELECT * FROM ds_abc) SELECT * FROM x UNION ALL SELECT * FROM x",
        "WITH x AS (SELECT * FROM ds_abc) SELECT * FROM x UNION ALL SELECT * FROM x LIMIT 100",
    ),
    (
        "WITH x AS (SELECT * FROM ds_abc) SELECT * FROM x WHERE EXISTS (SELECT 1 FROM x AS y)",
        "WITH x AS (SELECT * FROM ds_abc) SELECT * FROM x WHERE EXISTS(SELECT 1 FROM x AS y) "
        "LIMIT 100",
    ),
    (
        "WITH x AS (WITH y AS (SELECT * FROM ds_abc) SELECT * FROM y) SELECT * FROM x",
        "WITH x AS (WITH y AS (SELECT * FROM ds_abc) SELECT * FROM y) SELECT * FROM x LIMIT 100",
    ),
    (
        "SELECT * FROM ds_abc, LATERAL (WITH x AS (SELECT 1) SELECT * FROM x) t",
        "SELECT * FROM ds_abc, LATERAL (WITH x AS (SELECT 1) SELECT * FROM x) AS t LIMIT 100",
    ),
    (  # Athena's names are case-insensitive, quoted or not
        'WITH X AS (SELECT * FROM ds_abc) SELECT * FROM "x"',
        'WITH X AS (SELECT * FROM ds_abc) SELECT * FROM "x" LIMIT 100',
    ),
    (
        "SELECT * FROM AwsDataCatalog.CSVCHAT_DEV.DS_ABC",
        "SELECT * FROM AwsDataCatalog.CSVCHAT_DEV.DS_ABC LIMIT 100",
    ),
    ("TABLE ds_abc", "SELECT * FROM ds_abc LIMIT 100"),
    (
        "SELECT * FROM ds_abc FETCH FIRST 5 ROWS ONLY",
        "SELECT * FROM ds_abc FETCH FIRST 5 ROWS ONLY",
    ),
    ("SELECT * FROM ds_abc FETCH FIRST 500 ROWS ONLY", "SELECT * FROM ds_abc LIMIT 100"),
]

SCOPE_REFUSED = [
    # A WITH named like a table, in a nested query, a branch, a subquery: refused by name.
    (
        "SELECT * FROM (WITH ds_other AS (SELECT * FROM ds_abc) SELECT * FROM ds_other) t "
        "UNION ALL SELECT * FROM ds_other",
        named("ds_other"),
    ),
    (
        "SELECT * FROM ds_other UNION ALL (WITH ds_other AS (SELECT 1) SELECT * FROM ds_other)",
        named("ds_other"),
    ),
    ("WITH ds_abc AS (SELECT * FROM ds_abc) SELECT * FROM ds_abc", named("ds_abc")),
    ('WITH "DS_ABC" AS (SELECT * FROM ds_other) SELECT * FROM ds_abc', named("ds_abc")),
    ("WITH DS_OTHER AS (SELECT 1) SELECT * FROM ds_other", named("ds_other")),
    (
        "SELECT * FROM ds_abc WHERE EXISTS (WITH ds_other AS (SELECT 1) SELECT 1) "
        "AND id IN (SELECT id FROM ds_other)",
        named("ds_other"),
    ),
    ("SELECT * FROM ds_abc WHERE id = (WITH ds_zz AS (SELECT 1) SELECT 1)", named("ds_zz")),
    # A name used outside the query that declares it, before its declaration, or by itself
    # (no RECURSIVE) is a table, not the WITH.
    ("SELECT * FROM (WITH x AS (SELECT * FROM ds_abc) SELECT * FROM x) t JOIN x ON 1 = 1", ONLY),
    ("WITH x AS (SELECT * FROM x) SELECT * FROM x", ONLY),
    ("WITH a AS (SELECT * FROM b), b AS (SELECT * FROM ds_abc) SELECT * FROM a", ONLY),
    (
        "SELECT * FROM ds_abc WHERE EXISTS (WITH x AS (SELECT 1) SELECT 1) "
        "AND id IN (SELECT id FROM x)",
        ONLY,
    ),
    ("SELECT (WITH x AS (SELECT 1 AS c) SELECT c FROM x) AS n FROM x", ONLY),
    ("SELECT * FROM x UNION ALL (WITH x AS (SELECT * FROM ds_abc) SELECT * FROM x)", ONLY),
    ("(WITH x AS (SELECT * FROM ds_abc) SELECT * FROM x) UNION ALL SELECT * FROM x", ONLY),
    ("WITH x AS (WITH y AS (SELECT * FROM ds_abc) SELECT * FROM y) SELECT * FROM y", ONLY),
    ("WITH x AS (SELECT * FROM ds_abc) SELECT * FROM csvchat_dev.x", ONLY),
    ("SELECT * FROM ds_abc, LATERAL (SELECT * FROM ds_other) t", ONLY),
    ("SELECT * FROM (ds_abc JOIN ds_other ON 1 = 1)", ONLY),
    ("TABLE ds_other", ONLY),
    ("WITH x AS (SELECT 1), x AS (SELECT * FROM ds_abc) SELECT * FROM x", TWICE),
    ("WITH x AS (SELECT 1), X AS (SELECT 2) SELECT * FROM x", TWICE),
    # Rows from nothing: no bytes scanned, so only the guard bounds them.
    ("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT * FROM t", RECURSIVE),
    ("WITH RECURSIVE x AS (SELECT * FROM ds_abc) SELECT * FROM x", RECURSIVE),
    (
        "SELECT * FROM (WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) "
        "SELECT * FROM t) s",
        RECURSIVE,
    ),
    ("SELECT * FROM UNNEST(sequence(1, 1000000000)) AS t(n)", GENERATED),
    ("SELECT COUNT(*) FROM ds_abc CROSS JOIN UNNEST(sequence(1, 10000)) AS t(n)", GENERATED),
    ("SELECT sequence(1, 10)", GENERATED),
    ("SELECT x FROM ds_abc CROSS JOIN UNNEST(split(a, ',')) AS t(x)", GENERATED),
    (
        "SELECT sequence(DATE '2020-01-01', DATE '2999-01-01', INTERVAL '1' DAY) FROM ds_abc",
        GENERATED,
    ),
]
ALLOWED += SCOPE_ALLOWED
REFUSED += SCOPE_REFUSED


def test_the_corpus_holds_at_least_forty_queries() -> None:
    assert len(ALLOWED) + len(REFUSED) >= 40


@pytest.mark.parametrize(("sql", "runs"), ALLOWED)
def test_an_allowed_query_runs_normalised_and_limited(sql: str, runs: str) -> None:
    assert checked_sql(sql, TABLE, DATABASE, LIMIT) == runs


@pytest.mark.parametrize(("sql", "why"), REFUSED)
def test_a_refused_query_says_why(sql: str, why: str) -> None:
    with pytest.raises(QueryRefusedError) as refused:
        checked_sql(sql, TABLE, DATABASE, LIMIT)
    assert refused.value.message == why


def test_unreadable_sql_is_refused() -> None:
    with pytest.raises(QueryRefusedError, match="could not be read"):
        checked_sql("SELECT FROM WHERE (", TABLE, DATABASE, LIMIT)
