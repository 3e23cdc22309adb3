"""Real threads, each on its own database connection, against the file SQLite database or PostgreSQL."""


import pytest

from core.exceptions import InvalidTransition
from orgs import applications as services
from orgs.codes import make_credit_code
from orgs.models import Application, Certificate
from tests.factories import UserFactory
from tests.orgs.test_applications import attach_all, service_institution
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


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
