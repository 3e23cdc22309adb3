import pytest
from django.db import connection
from django.urls import reverse

from core import audit
from core.exceptions import AuditImmutable
from core.models import AuditEntry


@pytest.fixture
def entry(org_a, officer_nanming):
    return audit.record("org.update", actor=officer_nanming, obj=org_a, before={"name": "旧名"}, after={"name": "新名"})


def test_record_keeps_actor_object_before_after_and_region(entry, org_a, officer_nanming, nanming):
    entry.refresh_from_db()
    assert entry.actor == officer_nanming and entry.actor_label == "刘南明"
    assert entry.object_id == str(org_a.pk) and entry.object_repr == org_a.name
    assert entry.before == {"name": "旧名"} and entry.after == {"name": "新名"}
    assert entry.region == nanming


def test_saving_an_existing_audit_row_is_refused(entry):
    entry.action = "tampered"
    with pytest.raises(AuditImmutable):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).action == "org.update"


def test_deleting_an_audit_row_is_refused(entry):
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_queryset_update_of_audit_rows_is_refused(entry):
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(action="tampered")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.bulk_update([entry], ["action"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only")
def test_postgresql_refuses_a_raw_update_of_an_audit_row(entry):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = 'x' WHERE id = %s", [entry.pk])


def test_a_request_records_the_client_address(client, outsider, password):
    client.post(reverse("accounts:login"), {"username": outsider.phone, "password": password}, REMOTE_ADDR="10.1.2.3")
    login = AuditEntry.objects.get(action="account.login", actor=outsider)
    assert login.ip_address == "10.1.2.3"


def test_failed_sign_in_is_audited_with_a_masked_phone(client, db):
    client.post(reverse("accounts:login"), {"username": "13912345678", "password": "wrong-password"})
    failed = AuditEntry.objects.get(action="account.login_failed")
    assert failed.after == {"phone": "139****5678"}


def test_officer_audit_view_lists_their_districts_entries_only(client, officer_nanming, org_a, org_b):
    audit.record("org.update", actor=None, obj=org_a, after={"x": 1})
    audit.record("org.update", actor=None, obj=org_b, after={"x": 2})
    client.force_login(officer_nanming)
    response = client.get(reverse("audit:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert org_a.name in body
    assert org_b.name not in body


def test_officer_cannot_open_another_districts_audit_entry(client, officer_nanming, org_b):
    other = audit.record("org.update", actor=None, obj=org_b)
    client.force_login(officer_nanming)
    assert client.get(reverse("audit:inspect", args=[other.pk])).status_code == 404


def test_admin_offers_no_url_to_add_edit_or_delete_audit_rows(client, admin_user, entry):
    from django.urls import NoReverseMatch

    for name, args in [("audit:add", []), ("audit:edit", [entry.pk]), ("audit:delete", [entry.pk])]:
        with pytest.raises(NoReverseMatch):
            reverse(name, args=args)
    client.force_login(admin_user)
    assert client.get(reverse("audit:inspect", args=[entry.pk])).status_code == 200


def test_people_without_admin_access_cannot_open_the_audit_log(client, applicant):
    client.force_login(applicant)
    response = client.get(reverse("audit:index"))
    assert response.status_code in (302, 403)
