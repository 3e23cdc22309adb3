"""Pieces every app's API router shares (the routers themselves live in each app's api.py)."""

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

# 10^6 pages of at most 100 rows reach past any table the portal will hold, and keep the row offset far inside a
# 64-bit integer.
MAX_PAGE = 1_000_000


class Pagination(PageNumberPagination):
    """Ninja's page-number pagination with the page number bounded: ``?page=10**22`` made an OFFSET beyond 64 bits,
    which PostgreSQL refused with "bigint out of range" and the API answered 500 (found by fuzzing,
    tests/api/test_openapi_fuzz.py). Out of range is now a 422 like any other bad parameter; a page past the last
    one is still an empty page."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1)
