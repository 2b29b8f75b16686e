"""api/db/sql.py: composing statements into one round trip."""

from __future__ import annotations

from api.db.sql import together


def test_one_statement_is_itself() -> None:
    assert together(" UPDATE t SET a = $1 WHERE id = $2 ") == "UPDATE t SET a = $1 WHERE id = $2"


def test_parameters_are_renumbered_in_order_and_repeats_keep_their_number() -> None:
    combined = together(
        "UPDATE t SET a = $2, b = CASE WHEN $2 = 'x' THEN $1 END WHERE id = $1",
        "INSERT INTO u (a) VALUES ($1)",
        "INSERT INTO v (a, b) VALUES ($1, $2)",
    )
    assert combined == (
        "WITH w1 AS (UPDATE t SET a = $2, b = CASE WHEN $2 = 'x' THEN $1 END WHERE id = $1),\n"
        "w2 AS (INSERT INTO u (a) VALUES ($3))\n"
        "INSERT INTO v (a, b) VALUES ($4, $5)"
    )


def test_a_statement_without_parameters_shifts_nothing() -> None:
    assert together("DELETE FROM t", "INSERT INTO u (a) VALUES ($1)") == (
        "WITH w1 AS (DELETE FROM t)\nINSERT INTO u (a) VALUES ($1)"
    )


def test_a_last_statement_with_its_own_ctes_keeps_them_after_the_others() -> None:
    assert together(
        "UPDATE t SET a = $1",
        "WITH e AS (INSERT INTO u (a) VALUES ($1) RETURNING *) SELECT e.a, $2 FROM e",
    ) == ("WITH w1 AS (UPDATE t SET a = $1),\ne AS (INSERT INTO u (a) VALUES ($2) RETURNING *) SELECT e.a, $3 FROM e")
