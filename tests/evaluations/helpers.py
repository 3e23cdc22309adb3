"""Campaign builders shared by the evaluations tests."""

import datetime

from django.utils import timezone

from evaluations import services
from evaluations.models import Campaign
from tests.factories import UserFactory


def verified_user(**kwargs):
    return UserFactory(phone_verified_at=timezone.now() - datetime.timedelta(days=30),
                       date_joined=timezone.now() - datetime.timedelta(days=60), **kwargs)


def public_campaign(officer, region, *, year=2026, open_now=True, **fields) -> Campaign:
    now = timezone.now()
    campaign = services.create_campaign(
        acting_user=officer, kind=Campaign.Kind.PUBLIC, year=year, title=f"{year}年度五比五看", region=region,
        opens_at=now - datetime.timedelta(days=1), closes_at=now + datetime.timedelta(days=10), **fields,
    )
    if open_now:
        services.open_campaign(campaign, acting_user=officer)
        campaign.refresh_from_db()
    return campaign


def grading_campaign(officer, region, *, year=2026, **fields) -> Campaign:
    now = timezone.now()
    campaign = services.create_campaign(
        acting_user=officer, kind=Campaign.Kind.GRADING, year=year, title=f"{year}年度社会组织等级评估", region=region,
        opens_at=now - datetime.timedelta(days=1), closes_at=now + datetime.timedelta(days=10), **fields,
    )
    services.open_campaign(campaign, acting_user=officer)
    campaign.refresh_from_db()
    return campaign


def values(campaign, value) -> dict:
    return {str(d.pk): value for d in campaign.dimensions.all()}


def end_window(campaign):
    """Move the window into the past, as time would."""
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=now - datetime.timedelta(days=20),
                                                   closes_at=now - datetime.timedelta(seconds=1))
    campaign.refresh_from_db()
