from __future__ import annotations

import duckdb

from mlops.sql import quote_identifier, quote_literal


def test_a_quote_inside_a_name_or_a_value_cannot_end_it() -> None:
    assert quote_identifier('a"b') == '"a""b"'
    assert quote_identifier("a`b", "`") == "`a``b`"
    assert quote_literal("it's") == "'it''s'"
    name, value = 'odd "column"; DROP TABLE x', "o'clock"
    connection = duckdb.connect()
    cursor = connection.execute(f"SELECT {quote_literal(value)} AS {quote_identifier(name)}")
    assert cursor.fetchone() == (value,)
    assert [column[0] for column in cursor.description or []] == [name]
