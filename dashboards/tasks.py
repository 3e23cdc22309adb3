"""Background tasks of the dashboards app (django-tasks; the ``background`` backend is worked by
``manage.py db_worker --backend background``, and runs inline in tests)."""

from django_tasks import task

from . import reports


@task(backend="background")
def build_yearly_report(report_id: int) -> str:
    """Build the yearly statistical report that :func:`dashboards.reports.request_report` queued; safe to run twice
    (a done report is left as it is, a crashed run starts again from scratch)."""
    return reports.run_report(report_id)
