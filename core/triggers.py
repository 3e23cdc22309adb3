"""Database triggers that the ORM cannot declare (append-only tables): each app keeps its statements per database
vendor and runs them here, from its migration and, in tests, after SQLite's row-by-row flush."""

from django.db import connection


def run(statements: dict[str, list[str]], conn=None) -> None:
    """Execute the statements for ``conn``'s vendor ("sqlite", "postgresql"); other vendors get none."""
    conn = conn or connection
    with conn.cursor() as cursor:
        for sql in statements.get(conn.vendor, []):
            cursor.execute(sql)
