"""Site search: one query box over the public pages, organizations, volunteer activities, funding calls and
procurement projects, that finds Chinese words inside longer names on SQLite and PostgreSQL alike.

Why not Wagtail's search backend
--------------------------------
Wagtail 8 indexes pages with its database backend (``modelsearch.backends.database``): FTS5 with the
``unicode61`` tokenizer on SQLite, ``to_tsvector`` on PostgreSQL. Both split text into tokens on spaces and
punctuation only, and Chinese is written without either, so a whole run of Chinese characters becomes ONE token:
``社区养老服务中心`` is indexed as the single token ``社区养老服务中心``. Checked on this project (SQLite, after
``update_index``, Wagtail 8.0): ``Page.objects.live().search("养老")`` finds a page titled ``养老`` and one titled
``社区 养老 服务`` but NOT ``社区养老服务中心``; ``search("助残")`` does not find ``阳光助残服务社``;
``autocomplete("社区")`` finds ``社区养老服务中心`` only because it is a prefix. On PostgreSQL 15,
``to_tsvector('simple', '社区养老服务中心') @@ to_tsquery('simple', '养老')`` is false for the same reason. A
Chinese word segmenter (jieba, zhparser, pg_jieba) would need a dictionary, an extension on the server, and would
still behave differently on the two databases.

What we do instead
------------------
Each source is queried with substring matches (``icontains``, i.e. ``LIKE '%…%'`` with ``%``, ``_`` and ``\\``
escaped by Django) on a few short fields, every word of the query must match (AND), and the candidates are
ranked with explicit weights, the same on both databases:

1. the title (or name) equals the query,
2. the title starts with the query's first word (and contains every word),
3. the title contains every word,
4. only another field matches (a page's 导语/摘要/简介, a policy's 文号, an organization's credit code …).

Within a class shorter titles come first (``养老服务中心`` before ``云岩区社区养老服务中心``), then the most
recent. Each source answers in ONE SQL query ordered by that rank and cut at :data:`CANDIDATES_PER_SOURCE`, so the
number of queries is fixed whatever the data size; the five lists are merged in Python and paginated.

The tables are small (a city's organizations, pages and projects: thousands of rows), so a sequential scan per
search is cheap; if they grow by orders of magnitude, a trigram index (``pg_trgm``) on PostgreSQL can serve the
same ``LIKE`` queries unchanged.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field
from functools import reduce
from operator import and_, or_

from django.apps import apps
from django.db.models import Case, F, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Coalesce, Length, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from grants.permissions import public_calls, public_projects
from orgs.queries import public_organizations
from volunteers.queries import public_activities

MAX_QUERY_LENGTH = 50
CANDIDATES_PER_SOURCE = 200
SNIPPET_LENGTH = 90

EXACT, PREFIX, CONTAINS, OTHER = 0, 1, 2, 3

# The kinds of result, in the order of the tabs (and of ties between kinds).
KINDS = {
    "page": _("网站页面"),
    "organization": _("社会组织"),
    "activity": _("志愿服务活动"),
    "call": _("资助计划"),
    "procurement": _("采购项目"),
}

# The short text fields of the page types, as (the child table's accessor on Page, field). Searched and shown as
# the snippet; the first non-empty one is the page's own (a page has exactly one specific type).
PAGE_TEXT_FIELDS = [
    ("homepage", "hero_text"),
    ("standardpage", "intro"),
    ("newsindexpage", "intro"),
    ("newspage", "intro"),
    ("policyindexpage", "intro"),
    ("policypage", "intro"),
    ("showcaseindexpage", "intro"),
    ("showcaseprojectpage", "summary"),
    ("eventindexpage", "intro"),
    ("eventpage", "intro"),
    ("campaignresultspage", "intro"),
    ("opendatapage", "intro"),
]
PAGE_NUMBER_FIELD = "policypage__document_number"


@dataclass
class SearchResult:
    """One hit, ready for the template: what it is, where it links, how well it matched."""

    kind: str
    title: str
    url: str
    snippet: str
    meta: str
    rank: int
    recency: float
    pk: int
    terms: list[str] = field(repr=False)
    type_label: str = ""

    @property
    def kind_label(self) -> str:
        return self.type_label or str(KINDS[self.kind])

    @property
    def title_html(self) -> SafeString:
        return highlight(self.title, self.terms)

    @property
    def snippet_html(self) -> SafeString:
        return highlight(excerpt(self.snippet, self.terms), self.terms)

    def sort_key(self):
        return (self.rank, len(self.title), -self.recency, list(KINDS).index(self.kind), self.pk)


@dataclass
class SearchOutcome:
    """What the search page shows: the cleaned query, counts per kind (capped), the merged and ranked results."""

    query: str = ""
    terms: list[str] = field(default_factory=list)
    kind: str = ""
    truncated: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    capped: set[str] = field(default_factory=set)
    results: list[SearchResult] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def tabs(self) -> list[dict]:
        tabs = [{"kind": "", "label": _("全部"), "count": self.total, "capped": bool(self.capped),
                 "active": not self.kind}]
        tabs += [{"kind": kind, "label": label, "count": self.counts.get(kind, 0), "capped": kind in self.capped,
                  "active": kind == self.kind} for kind, label in KINDS.items()]
        return tabs


# --- the query ----------------------------------------------------------------------------------------------
def clean_query(raw: str | None) -> tuple[str, bool]:
    """The query as searched: control and format characters (NUL included) dropped, whitespace (full-width
    space too) collapsed, cut at :data:`MAX_QUERY_LENGTH` characters. Returns ``(query, truncated)``."""
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in (raw or ""))
    text = " ".join(text.split())
    truncated = len(text) > MAX_QUERY_LENGTH
    return " ".join(text[:MAX_QUERY_LENGTH].split()), truncated


def split_terms(query: str) -> list[str]:
    """The words of a cleaned query, each once, in order (``str.split`` also splits on U+3000)."""
    return list(dict.fromkeys(query.split()))


def all_terms_in(field_name: str, terms: list[str]) -> Q:
    return reduce(and_, (Q(**{f"{field_name}__icontains": term}) for term in terms))


def any_field_matches(field_names: list[str], term: str, extra: Q | None = None) -> Q:
    condition = reduce(or_, (Q(**{f"{name}__icontains": term}) for name in field_names))
    return condition | extra if extra is not None else condition


def match_rank(title_field: str, query: str, terms: list[str]) -> Case:
    """The rank class of a row, computed by the database so each source is cut at its best candidates."""
    in_title = all_terms_in(title_field, terms)
    return Case(
        When(Q(**{f"{title_field}__iexact": query}), then=Value(EXACT)),
        When(Q(**{f"{title_field}__istartswith": terms[0]}) & in_title, then=Value(PREFIX)),
        When(in_title, then=Value(CONTAINS)),
        default=Value(OTHER),
        output_field=IntegerField(),
    )


def ranked(queryset: QuerySet, title_field: str, recency_field: str, query: str, terms: list[str]) -> list:
    """The best :data:`CANDIDATES_PER_SOURCE` rows of ``queryset`` in one query (rank, title length, recency)."""
    return list(
        queryset.annotate(match_rank=match_rank(title_field, query, terms), title_length=Length(title_field))
        .order_by("match_rank", "title_length", F(recency_field).desc(nulls_last=True), "-pk")[:CANDIDATES_PER_SOURCE]
    )


def timestamp(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return timezone.make_aware(datetime.datetime.combine(value, datetime.time.min)).timestamp()


def local_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localdate(value)
    return f"{value.year}年{value.month}月{value.day}日"


def join_meta(*parts) -> str:
    return " · ".join(str(part) for part in parts if part)


# --- the sources --------------------------------------------------------------------------------------------
def search_pages(query: str, terms: list[str], request=None) -> list[SearchResult]:
    """Live, public CMS pages (not the tree's root) by title, search description, the type's short text and a
    policy's 文号. One query for the rows, one for the view restrictions, one (cached) for the site roots."""
    text_fields = [f"{accessor}__{name}" for accessor, name in PAGE_TEXT_FIELDS]
    searched = ["title", "search_description", *text_fields, PAGE_NUMBER_FIELD]
    queryset = (
        Page.objects.live().public().filter(depth__gt=1)
        .filter(reduce(and_, (any_field_matches(searched, term) for term in terms)))
        .annotate(
            page_text=Coalesce(*(NullIf(F(name), Value("")) for name in [*text_fields, "search_description"]),
                               output_field=TextField()),
            document_number=F(PAGE_NUMBER_FIELD),
            page_app=F("content_type__app_label"),
            page_model=F("content_type__model"),
        )
    )
    results = []
    for page in ranked(queryset, "title", "first_published_at", query, terms):
        url = page.get_url(request)
        if not url:
            continue  # not under any site: it cannot be visited
        try:
            type_label = str(apps.get_model(page.page_app, page.page_model)._meta.verbose_name)
        except LookupError:
            type_label = str(KINDS["page"])
        snippet = join_meta(page.document_number, page.page_text or "")
        results.append(SearchResult(
            kind="page", title=page.title, url=url, snippet=snippet,
            meta=local_date(page.first_published_at), rank=page.match_rank,
            recency=timestamp(page.first_published_at), pk=page.pk, terms=terms, type_label=type_label,
        ))
    return results


def search_organizations(query: str, terms: list[str]) -> list[SearchResult]:
    """Organizations of the public registry by name; the 统一社会信用代码 or 备案编号 typed in full finds its one."""
    code = query.upper()
    queryset = public_organizations().filter(
        all_terms_in("name", terms) | Q(credit_code=code) | Q(filing_number=query)
    )
    results = []
    for org in ranked(queryset, "name", "created_at", query, terms):
        number = (_("统一社会信用代码 %(code)s") % {"code": org.credit_code} if org.credit_code
                  else _("备案编号 %(code)s") % {"code": org.filing_number} if org.filing_number else "")
        results.append(SearchResult(
            kind="organization", title=org.name, url=reverse("orgs:profile", args=[org.pk]),
            snippet=org.introduction or org.purpose,
            meta=join_meta(org.get_kind_display(), org.district_name or org.region.name, org.get_status_display(),
                           number),
            rank=org.match_rank, recency=timestamp(org.created_at), pk=org.pk, terms=terms,
        ))
    return results


def search_activities(query: str, terms: list[str]) -> list[SearchResult]:
    """Volunteer activities the public list shows (published, with shifts still to come) by title and summary."""
    queryset = public_activities().filter(
        reduce(and_, (any_field_matches(["title", "summary"], term) for term in terms))
    )
    results = []
    for activity in ranked(queryset, "title", "created_at", query, terms):
        next_start = _("最近班次 %(date)s") % {"date": local_date(activity.next_start)} if activity.next_start else ""
        results.append(SearchResult(
            kind="activity", title=activity.title, url=reverse("volunteers:activity", args=[activity.pk]),
            snippet=activity.summary, meta=join_meta(activity.organizer_name, next_start),
            rank=activity.match_rank, recency=timestamp(activity.created_at), pk=activity.pk, terms=terms,
        ))
    return results


def search_calls(query: str, terms: list[str]) -> list[SearchResult]:
    """Published and finished funding calls by title."""
    queryset = public_calls().filter(all_terms_in("title", terms))
    results = []
    for call in ranked(queryset, "title", "opens_at", query, terms):
        results.append(SearchResult(
            kind="call", title=call.title, url=reverse("grants:call", args=[call.pk]), snippet=call.description,
            meta=join_meta(call.get_kind_display(), _("%(year)s 年度") % {"year": call.year}, call.get_status_display(),
                           _("申报截止 %(date)s") % {"date": local_date(call.closes_at)}),
            rank=call.match_rank, recency=timestamp(call.opens_at), pk=call.pk, terms=terms,
        ))
    return results


def search_procurements(query: str, terms: list[str]) -> list[SearchResult]:
    """Announced (and later) procurement projects by title; the project number typed in full finds its one."""
    queryset = public_projects().select_related("purchaser").filter(
        all_terms_in("title", terms) | Q(number__iexact=query)
    )
    results = []
    for project in ranked(queryset, "title", "announced_at", query, terms):
        results.append(SearchResult(
            kind="procurement", title=project.title, url=reverse("grants:procurement", args=[project.pk]),
            snippet=project.description,
            meta=join_meta(project.number, project.purchaser.name, project.get_method_display(),
                           project.get_status_display()),
            rank=project.match_rank, recency=timestamp(project.announced_at), pk=project.pk, terms=terms,
        ))
    return results


# --- the search ---------------------------------------------------------------------------------------------
def site_search(raw_query: str | None, *, kind: str = "", request=None) -> SearchOutcome:
    """Search every source for ``raw_query`` and return the counts per kind and the ranked results (of ``kind``
    only, when it is one of :data:`KINDS`). An empty query searches nothing and runs no query."""
    query, truncated = clean_query(raw_query)
    kind = kind if kind in KINDS else ""
    outcome = SearchOutcome(query=query, terms=split_terms(query), kind=kind, truncated=truncated)
    if not query:
        return outcome
    terms = outcome.terms
    found = {
        "page": search_pages(query, terms, request),
        "organization": search_organizations(query, terms),
        "activity": search_activities(query, terms),
        "call": search_calls(query, terms),
        "procurement": search_procurements(query, terms),
    }
    for name, results in found.items():
        outcome.counts[name] = len(results)
        if len(results) >= CANDIDATES_PER_SOURCE:
            outcome.capped.add(name)
    chosen = found[kind] if kind else [result for results in found.values() for result in results]
    outcome.results = sorted(chosen, key=SearchResult.sort_key)
    return outcome


# --- presentation helpers -----------------------------------------------------------------------------------
def _pattern(terms: list[str]) -> re.Pattern | None:
    words = sorted({term for term in terms if term}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` HTML-escaped, with every occurrence of a term wrapped in ``<mark>``. Every piece of ``text`` goes
    through :func:`escape`; only the ``<mark>`` tags are markup."""
    text = text or ""
    pattern = _pattern(terms)
    if pattern is None:
        return escape(text)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last:match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308  # nosec B308 B703 — every piece of user or row text is escaped above


def excerpt(text: str, terms: list[str], length: int = SNIPPET_LENGTH) -> str:
    """About ``length`` characters of ``text`` around the first match (the start when nothing matches)."""
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    pattern = _pattern(terms)
    match = pattern.search(text) if pattern else None
    start = max(0, match.start() - length // 4) if match else 0
    start = min(start, max(0, len(text) - length))
    piece = Truncator(text[start:]).chars(length)
    return f"…{piece}" if start else piece
