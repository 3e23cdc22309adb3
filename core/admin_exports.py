"""Spreadsheet exports of the officers' admin lists: every list downloads exactly what its filters show, as XLSX and
as CSV with a UTF-8 BOM (DESIGN.md §5), scoped like the list.

Wagtail's generic ``IndexView`` already exports (``SpreadsheetExportMixin``): a viewset's ``list_export`` adds
"下载XLSX / 下载CSV" to the list header, and ``?export=xlsx|csv`` on the list's own URL answers with the list's
queryset — the same ``get_base_queryset`` (so the same jurisdiction scoping), filters, search and ordering, and no
pagination. :class:`AdminExportMixin` keeps that mechanism (same URL, same permission check, same buttons, which
Wagtail re-renders with the current filters after every filter change) and fixes what a Chinese office needs:

- CSV starts with a UTF-8 BOM, or Excel on Chinese Windows reads it as GBK and shows mojibake; it streams;
- headings in Chinese: ``export_headings``, else the model field's ``verbose_name`` (dotted paths followed);
- values: choices as their Chinese labels, foreign keys as their names, yes/no as 是/否, money as plain numbers
  with two decimals, dates ISO (``2026-05-01``), times in Asia/Shanghai (Wagtail writes XLSX times in UTC);
- cells that Excel would run as formulas (``=``, ``+``, ``-``, ``@``) are kept as text;
- XLSX with a bold, frozen header row and columns as wide as their contents (sampled), CJK counted double;
- the file is named after the list and the day (``资助申报-2026-05-01.xlsx``);
- a fixed number of queries whatever the size: the foreign keys named in ``list_export`` are joined
  (``select_related``), many-to-many ones prefetched, and rows are read in chunks;
- raw identity-card numbers can never be listed in ``list_export`` (lists show ``masked_id_number``);
- every export writes an audit row (who, which list, which filters), as a bulk read of personal data should.

A list that is not a Wagtail IndexView (a custom admin page) gets the same files from :func:`spreadsheet_response`.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import decimal
import io
import itertools
import json
import unicodedata
from collections import OrderedDict

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import Promise, cached_property
from django.utils.http import content_disposition_header
from wagtail.admin.views.generic import IndexView
from wagtail.coreutils import multigetattr

from . import audit

# Fields that hold a full identity-card number: an export lists the masked form, as the list does (DESIGN.md §4.4).
SENSITIVE_FIELDS = frozenset({"id_number", "legal_representative_id_number", "password"})
TWO_PLACES = decimal.Decimal("0.01")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_NUMBER_FORMAT = "#,##0.00"
XLSX_DATE_FORMAT = "yyyy-mm-dd"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
WIDTH_SAMPLE_ROWS = 200  # column widths are measured on the heading and the first rows
MIN_WIDTH, MAX_WIDTH = 8, 60
QUERY_PARAMS_IGNORED = {"export", "p", "_w_filter_fragment"}
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK and full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def normalize(value):
    """A Python value as a spreadsheet can hold it: str, int, float, Decimal (2 places), date or naive local
    datetime, or None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, decimal.Decimal):
        if value.is_finite() and -value.as_tuple().exponent <= 2:
            return value.quantize(TWO_PLACES)
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, datetime.date | datetime.time):
        return value
    if isinstance(value, models.Manager):  # a many-to-many relation (prefetched by the export queryset)
        value = list(value.all())
    if isinstance(value, list | tuple | set | frozenset):
        return "、".join(force_str(normalize(item)) for item in value if item is not None)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, Promise):
        return force_str(value)
    return str(value)


def formula_safe(text: str) -> str:
    """Text that Excel would evaluate as a formula (CSV injection) gets a leading apostrophe. Every spreadsheet the
    portal writes (admin lists, grants exports, the yearly report) passes user-typed text through this."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, str):
        return formula_safe(value)
    return str(value)


def stream_csv(headings, rows):
    """CSV lines as bytes: the UTF-8 BOM, the headings, then one line per row (values as :func:`normalize` gives)."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield codecs.BOM_UTF8
    yield writer.writerow([force_str(heading) for heading in headings])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_response(filename: str, lines) -> StreamingHttpResponse:
    """A streamed CSV download named ``filename``.csv (RFC 6266, so a Chinese name survives)."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
    return response


def write_xlsx(output, title: str, headings, rows):
    """One sheet named ``title``: a bold, frozen heading row, columns as wide as the heading and the first rows, and
    typed cells — numbers, 2-place money, dates and times with their formats, and text never read as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    headings = [force_str(heading) for heading in headings]
    rows = iter(rows)
    sample = [list(row) for row in itertools.islice(rows, WIDTH_SAMPLE_ROWS)]

    # Widths and the frozen pane must be set before the first row is written (write-only mode).
    for index, heading in enumerate(headings):
        widest = max([display_width(heading)] + [display_width(csv_cell(row[index])) for row in sample])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(MAX_WIDTH, max(MIN_WIDTH, widest + 2))
    sheet.freeze_panes = "A2"

    bold = Font(bold=True)
    header = []
    for heading in headings:
        cell = WriteOnlyCell(sheet, heading)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    def cells(row):
        for value in row:
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = WriteOnlyCell(sheet, value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, decimal.Decimal):
                cell.number_format = XLSX_NUMBER_FORMAT
            elif isinstance(value, datetime.datetime):
                cell.number_format = XLSX_DATETIME_FORMAT
            elif isinstance(value, datetime.date):
                cell.number_format = XLSX_DATE_FORMAT
            yield cell

    for row in itertools.chain(sample, rows):
        sheet.append(list(cells(row)))
    workbook.save(output)


def xlsx_response(filename: str, title: str, headings, rows) -> FileResponse:
    output = io.BytesIO()
    write_xlsx(output, title, headings, rows)
    output.seek(0)
    return FileResponse(output, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE)


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in force_str(title)).strip()
    return cleaned[:31] or "Sheet1"


def export_filename(title: str) -> str:
    """The list's name and the day: 资助申报-2026-05-01."""
    return f"{title}-{timezone.localdate():%Y-%m-%d}"


def audit_export(request, title: str, export_format: str):
    """A bulk read of the jurisdiction's rows is recorded like a view of personal data: who, which list, which
    filters. The region is the officer's jurisdiction (when they have one), so their superiors see it too."""
    user = request.user
    regions = [] if user.is_superuser else list(getattr(user, "jurisdictions", []))
    query = {key: values if len(values) > 1 else values[0]
             for key, values in request.GET.lists() if key not in QUERY_PARAMS_IGNORED}
    audit.record("admin.export", actor=user, region=regions[0] if len(regions) == 1 else None,
                 after={"list": force_str(title), "format": export_format, "query": query})


def spreadsheet_response(request, *, title: str, headings, rows, export_format: str):
    """An officers' list as a download, for list views that are not Wagtail IndexViews: ``rows`` yields one
    iterable of raw values per row (Decimals, dates, model instances … — :func:`normalize` is applied here).
    The caller has already scoped, filtered and ordered the rows exactly as its page does. Audited."""
    if export_format not in EXPORT_FORMATS:
        raise ValueError(export_format)
    audit_export(request, title, export_format)
    normalized = ([normalize(value) for value in row] for row in rows)
    if export_format == "csv":
        return csv_response(export_filename(title), stream_csv(headings, normalized))
    return xlsx_response(export_filename(title), title, headings, normalized)


class _Column:
    """How one ``list_export`` entry is read from a row: a path of model fields when it names one (choices shown
    by label, relations by name), otherwise Wagtail's dotted attribute lookup (properties, annotations, methods)."""

    def __init__(self, model, name: str):
        self.name = name
        self.steps = name.replace("__", ".").split(".")
        self.field = None  # the model field the path ends on, if any
        self.joins = []  # foreign-key paths to select_related
        self.prefetch = None  # a many-to-many path to prefetch
        current = model
        for index, step in enumerate(self.steps):
            try:
                field = current._meta.get_field(step)
            except (FieldDoesNotExist, AttributeError):
                self.field = None
                break
            self.field = field
            path = "__".join(self.steps[: index + 1])
            if field.many_to_many or field.one_to_many:
                self.prefetch = path if index == len(self.steps) - 1 else None
                if index != len(self.steps) - 1:
                    self.field = None
                break
            if field.is_relation:
                if field.concrete:
                    self.joins.append(path)
                current = field.related_model
            elif index != len(self.steps) - 1:
                self.field = None  # a path through a non-relation: leave it to attribute lookup
                break
        if self.field is not None and self.field.name in SENSITIVE_FIELDS:
            raise ImproperlyConfigured(
                f"list_export may not name {name!r}: export the masked form the list shows instead."
            )
        if self.steps[-1] in SENSITIVE_FIELDS:
            raise ImproperlyConfigured(f"list_export may not name {name!r}.")

    @property
    def verbose_name(self):
        if self.field is not None and not (self.field.auto_created and not self.field.concrete):
            return getattr(self.field, "verbose_name", None)
        return None

    def value(self, item):
        if self.field is None:
            return multigetattr(item, ".".join(self.steps))
        owner = item
        for step in self.steps[:-1]:
            owner = getattr(owner, step, None)
            if owner is None:
                return None
        field = self.field
        if getattr(field, "choices", None) and not field.is_relation:
            raw = getattr(owner, field.attname)
            if raw in (None, ""):
                return None
            return getattr(owner, f"get_{field.name}_display")()
        return getattr(owner, field.name)


class AdminExportMixin:
    """Put before Wagtail's ``IndexView`` (or use :class:`ExportingIndexView`): see the module docstring."""

    export_chunk_size = 2000
    # Values computed in Python rather than read from a field: {list_export name: function(row)}; give their
    # headings in the viewset's export_headings.
    export_accessors: dict = {}
    # Extra joins or prefetches an export needs beyond those its list_export names (e.g. for a __str__).
    export_select_related: tuple[str, ...] = ()
    export_prefetch_related: tuple[str, ...] = ()

    # --- columns -------------------------------------------------------------------------------------------
    @cached_property
    def export_columns(self) -> list[_Column]:
        model = self.model
        return [_Column(model, name) for name in self.list_export]

    def get_heading(self, queryset, field):
        heading = self.export_headings.get(field) if self.export_headings else None
        if heading:
            return force_str(heading)
        for column in self.export_columns:
            if column.name == field and column.verbose_name:
                return force_str(column.verbose_name)
        return force_str(field)

    def to_row_dict(self, item):
        accessors = self.export_accessors
        return OrderedDict(
            (column.name, normalize(accessors[column.name](item) if column.name in accessors else column.value(item)))
            for column in self.export_columns
        )

    # --- queryset ------------------------------------------------------------------------------------------
    def get_export_queryset(self):
        """The list's own queryset (scoped, filtered, searched, ordered; never paginated), with the joins the
        exported columns need, so that the number of queries does not grow with the rows."""
        queryset = self.get_queryset()
        if not isinstance(queryset, models.QuerySet):  # a Wagtail search backend's results
            return queryset
        joins = {path for column in self.export_columns for path in column.joins}
        joins.update(self.export_select_related)
        prefetch = {column.prefetch for column in self.export_columns if column.prefetch}
        prefetch.update(self.export_prefetch_related)
        if joins:
            queryset = queryset.select_related(*sorted(joins))
        if prefetch:
            queryset = queryset.prefetch_related(*sorted(prefetch))
        return queryset

    def export_rows(self, queryset):
        if isinstance(queryset, models.QuerySet):
            # Chunked reading keeps memory flat for a city's worth of rows; prefetches run once per chunk.
            items = queryset.iterator(chunk_size=self.export_chunk_size)
        else:
            items = iter(queryset)
        for item in items:
            yield self.to_row_dict(item)

    # --- response ------------------------------------------------------------------------------------------
    @cached_property
    def export_title(self) -> str:
        name = force_str(self.export_filename or "")
        if not name or name == self.model._meta.db_table:
            name = force_str(self.model._meta.verbose_name_plural)
        return name

    def get_filename(self):
        return export_filename(self.export_title)

    def get(self, request, *args, **kwargs):
        if not self.is_export:
            return super().get(request, *args, **kwargs)
        export_format = request.GET["export"]
        queryset = self.get_export_queryset()
        audit_export(request, self.export_title, export_format)
        return self.as_spreadsheet(queryset, export_format)

    def _headings(self, queryset) -> list[str]:
        return [self.get_heading(queryset, name) for name in self.list_export]

    def stream_csv(self, queryset):
        return stream_csv(self._headings(queryset), (row.values() for row in self.export_rows(queryset)))

    def write_csv_response(self, queryset):
        return csv_response(self.get_filename(), self.stream_csv(queryset))

    def write_xlsx(self, queryset, output):
        write_xlsx(output, self.export_title, self._headings(queryset),
                   (list(row.values()) for row in self.export_rows(queryset)))

    @property
    def xlsx_export_url(self):
        return self.get_export_url("xlsx")

    @property
    def csv_export_url(self):
        return self.get_export_url("csv")

    def get_export_url(self, format):
        """The list's own address with its current filters, search and ordering (not the results fragment's
        address, nor its page number: an export has every page)."""
        params = self.request.GET.copy()
        for key in QUERY_PARAMS_IGNORED:
            params.pop(key, None)
        params["export"] = format
        base = self.index_url or self.request.path
        return f"{base}?{params.urlencode()}"


class _Echo:
    """The file-like ``write`` of a streamed CSV: returns the encoded line instead of storing it."""

    def write(self, value):
        return value.encode("utf-8")


class ExportingIndexView(AdminExportMixin, IndexView):
    """Wagtail's generic list with the portal's exports, for viewsets that need no list logic of their own."""
