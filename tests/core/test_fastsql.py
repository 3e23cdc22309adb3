"""core.fastsql.insert writes exactly what Model.save() would (issue 10's redemption path uses it)."""

import datetime

import pytest
from django.utils import timezone

from core import fastsql
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_inserted_row_reads_back_as_the_orm_would_have_written_it(officer_nanming, nanming):
    when = timezone.now() - datetime.timedelta(days=2)
    entries = [
        AuditEntry(actor=officer_nanming, actor_label="甲", action="test.fast", after={"金额": 12, "列表": [1, 2]},
                   created_at=when, region=nanming, ip_address="10.0.0.7", object_id="9"),
        AuditEntry(action="test.fast", actor_label="乙", before={"a": None}, reason="原因"),
    ]

    fastsql.insert(*entries)

    assert all(e.pk for e in entries) and entries[0].pk != entries[1].pk
    first, second = AuditEntry.objects.get(pk=entries[0].pk), AuditEntry.objects.get(pk=entries[1].pk)
    assert (first.actor, first.region, first.after, first.created_at, first.ip_address) == (
        officer_nanming, nanming, {"金额": 12, "列表": [1, 2]}, when, "10.0.0.7")
    assert (second.actor, second.before, second.after, second.reason) == (None, {"a": None}, None, "原因")
    assert abs(second.created_at - timezone.now()) < datetime.timedelta(minutes=1)  # the field's default
