"""Ratings under real concurrency: threads, each on its own connection, on the file SQLite database or PostgreSQL."""

import pytest

from evaluations import services
from evaluations.models import Rating
from tests.evaluations.helpers import public_campaign, values, verified_user
from tests.threads import run_in_threads, run_with_workers

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_hundred_people_rating_one_organization_at_once_leave_two_hundred_ratings(city_officer, city, org_a):
    campaign = public_campaign(city_officer, city)
    people = [verified_user() for _ in range(200)]
    given = values(campaign, 4)
    results = run_with_workers([
        (lambda person=person: services.submit_rating(campaign, org_a, acting_user=person, values=given))
        for person in people
    ], workers=40)  # 40 threads carry the 200 submissions, on either database
    assert all(isinstance(r, Rating) for r in results), [r for r in results if not isinstance(r, Rating)][:3]
    assert Rating.objects.filter(campaign=campaign, organization=org_a).count() == 200


def test_one_persons_two_parallel_submissions_leave_one_rating(city_officer, city, org_a):
    campaign = public_campaign(city_officer, city)
    person = verified_user()
    results = run_in_threads(
        lambda: services.submit_rating(campaign, org_a, acting_user=person, values=values(campaign, 3)),
        lambda: services.submit_rating(campaign, org_a, acting_user=person, values=values(campaign, 5)),
    )
    assert all(isinstance(r, Rating) for r in results), results
    rating = Rating.objects.get(campaign=campaign, organization=org_a, user=person)
    assert rating.revisions == 1
    assert set(rating.values.values()) in ({3}, {5})
