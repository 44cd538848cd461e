"""Audit: every read, list, export, refusal and failed sign-in leaves one row; no free text; rows cannot change."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from amhp_hub.common.models import AuditEvent
from tests.conftest import requires_postgres


def test_reads_and_lists_are_audited_with_actor_role_address_and_ids(
    consultant_api: Any, consultant: Any, make_referral: Any, service: Any
) -> None:
    referral = make_referral(service, consultant.user)
    consultant_api.get(f"/api/v1/referrals/{referral.pk}/", REMOTE_ADDR="10.1.2.3")
    view = AuditEvent.objects.get(action="view", object_id=str(referral.pk))
    assert (view.actor, view.role, view.ip, view.outcome, view.channel) == (
        consultant.user,
        "consultant",
        "10.1.2.3",
        "ok",
        "api",
    )
    consultant_api.get("/api/v1/queue/")
    listed = AuditEvent.objects.filter(action="list").latest("id")
    assert str(referral.pk) in listed.object_ids


def test_refused_requests_are_audited(consultant_api: Any, logged_in_client: Any, amhp: Any) -> None:
    consultant_api.get("/api/v1/referrals/00000000-0000-0000-0000-000000000000/")
    assert AuditEvent.objects.filter(action="denied", changes__status=404, outcome="denied", role="consultant").exists()
    logged_in_client(amhp).get("/queue/")
    assert AuditEvent.objects.filter(action="denied", changes__status=403, object_id="/queue/", role="amhp").exists()


def test_csv_exports_are_audited(logged_in_client: Any, manager: Any) -> None:
    from dashboards import reports

    slug = next(iter(reports.TABLE_SECTIONS))
    response = logged_in_client(manager).get(f"/dashboards/{slug}.csv")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="export", actor=manager.user, role="manager").count() == 1


def test_no_nhs_number_or_clinical_free_text_reaches_the_audit(
    consultant: Any, make_referral: Any, service: Any, consultant_api: Any
) -> None:
    referral = make_referral(service, consultant.user, reason="Hearing voices telling him to hurt his neighbour")
    consultant_api.patch(
        f"/api/v1/referrals/{referral.pk}/",
        {"reason": "Now refusing food", "risk_notes": "Knife seen", "person": {"family_name": "Smithson"}},
        format="json",
    )
    text = " ".join(str(e.changes) + str(e.object_ids) for e in AuditEvent.objects.all())
    for secret in (referral.person.nhs_number, "Hearing voices", "refusing food", "Knife", "Smithson"):
        assert secret not in text
    update = AuditEvent.objects.filter(action="update", object_id=str(referral.pk)).latest("id")
    assert update.changes["reason"] == "changed" and update.changes["risk_notes"] == "changed"


def test_audit_rows_are_written_in_the_same_transaction_as_the_work(
    consultant: Any, make_referral: Any, service: Any
) -> None:
    from referrals import services

    referral = make_referral(service, consultant.user)
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.referral_update(referral=referral, actor=consultant.user, data={"location": "Ward 3"})
            raise RuntimeError("the work fails after the write")
    assert AuditEvent.objects.count() == before


@requires_postgres
def test_the_audit_table_refuses_update_and_delete_even_to_its_owner(
    consultant: Any, make_referral: Any, service: Any
) -> None:
    make_referral(service, consultant.user)
    event = AuditEvent.objects.latest("id")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="delete")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_role_may_insert_audit_rows_but_not_change_them(
    consultant: Any, make_referral: Any, service: Any
) -> None:
    import psycopg2

    from dashboards.management.commands.db_app_role import ensure_role

    role = "amhp_i9_app"
    ensure_role(role, "app-role-test-password")
    make_referral(service, consultant.user)
    s = connection.settings_dict
    app = psycopg2.connect(
        dbname=s["NAME"], host=s["HOST"], port=s["PORT"], user=role, password="app-role-test-password"
    )
    try:
        with app.cursor() as cur:
            cur.execute("SELECT count(*) FROM common_auditevent")
            row = cur.fetchone()
            assert row is not None and row[0] >= 1
            cur.execute("UPDATE referrals_referral SET location = 'Ward 9'")  # ordinary tables: allowed
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("UPDATE common_auditevent SET action = 'delete'")
        app.rollback()
        with app.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("DELETE FROM common_auditevent")
        app.rollback()
    finally:
        app.close()
