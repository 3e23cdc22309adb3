"""Real threads, each on its own database connection, against the file SQLite database or PostgreSQL."""

import threading

import pytest
from django.db import close_old_connections, connection

from core.exceptions import InvalidTransition
from orgs import applications as services
from orgs.codes import make_credit_code
from orgs.models import Application, Certificate
from tests.factories import UserFactory
from tests.orgs.test_applications import attach_all, service_institution

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(*jobs):
    """Start every job at once (a barrier), wait for all, return what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def runner(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread raised
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def reviewing_application(officer, region, name):
    founder = UserFactory()
    application = service_institution(founder, region, name=name)
    attach_all(application, founder)
    services.submit(application, acting_user=founder)
    services.accept(application, officer=officer)
    return application


def test_two_officers_approving_at_once_give_one_approval_and_one_clear_error(officer_nanming, city_officer, nanming):
    application = reviewing_application(officer_nanming, nanming, "南明区同心助残服务中心")
    code = make_credit_code("2", "520102", "MJ0000500")
    results = run_in_threads(
        lambda: services.approve(Application.objects.get(pk=application.pk), officer=officer_nanming, credit_code=code),
        lambda: services.approve(Application.objects.get(pk=application.pk), officer=city_officer, credit_code=code),
    )
    certificates = [r for r in results if isinstance(r, Certificate)]
    errors = [r for r in results if isinstance(r, InvalidTransition)]
    assert len(certificates) == 1 and len(errors) == 1, results
    assert "不能变更为“准予”" in errors[0].message
    assert Certificate.objects.count() == 1
    assert application.history.filter(to_status="approved").count() == 1


def test_certificate_numbers_stay_unique_under_parallel_approvals(officer_nanming, nanming):
    applications = [reviewing_application(officer_nanming, nanming, f"南明区第{i}社会工作服务中心") for i in range(6)]
    results = run_in_threads(*[
        (lambda a=a, i=i: services.approve(
            Application.objects.get(pk=a.pk), officer=officer_nanming,
            credit_code=make_credit_code("2", "520102", f"MJ00006{i:02d}"),
        ))
        for i, a in enumerate(applications)
    ])
    assert all(isinstance(r, Certificate) for r in results), results
    numbers = list(Certificate.objects.values_list("number", flat=True))
    assert len(numbers) == 6 and len(set(numbers)) == 6
