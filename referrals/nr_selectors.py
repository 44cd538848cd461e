"""Reads of the person's nearest relative record: what every referral of that person sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet

from referrals import nearest_relative as s26
from referrals.models import (
    Displacement,
    NearestRelativeObjection,
    NearestRelativeRecord,
    NearestRelativeRequest,
    Person,
    Relative,
)
from referrals.nr_services import relative_facts
from referrals.person_rules import child_flags
from referrals.selectors import referrals_visible_to
from rota.models import Role, StaffProfile


@dataclass
class NearestRelativeView:
    person: Person
    record: NearestRelativeRecord | None
    relatives: list[Relative] = field(default_factory=list)
    objections: list[NearestRelativeObjection] = field(default_factory=list)
    displacements: list[Displacement] = field(default_factory=list)
    requests: list[NearestRelativeRequest] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.record.name if self.record else ""

    @property
    def identified(self) -> bool:
        return bool(self.name)

    @property
    def displaced(self) -> bool:
        return s26.displaced((d.ground, d.order_made) for d in self.displacements)

    def objections_to(self) -> frozenset[str]:
        """The sections the nearest relative objects to, counting only objections not withdrawn."""
        return frozenset(o.to for o in self.objections if o.withdrawn_on is None)


def nearest_relative_for(person: Person) -> NearestRelativeView:
    """Return the person's nearest relative record with relatives, objections, s29 applications and s13(4)
    requests, in five queries however many there are."""
    record = NearestRelativeRecord.objects.filter(person=person).first()
    return NearestRelativeView(
        person=person,
        record=record,
        relatives=list(Relative.objects.filter(person=person).order_by("position", "id")),
        objections=list(NearestRelativeObjection.objects.filter(person=person).order_by("-date", "-id")),
        displacements=list(Displacement.objects.filter(person=person).order_by("-applied_on", "-id")),
        requests=list(NearestRelativeRequest.objects.filter(person=person).order_by("-requested_on", "-id")),
    )


def people_visible_to(profile: StaffProfile) -> QuerySet[Person]:
    """The people of the member of staff's service (an AMHP only those with a referral allocated to them)."""
    qs = Person.objects.filter(service_id=profile.service_id)
    if profile.role == Role.AMHP:
        qs = qs.filter(pk__in=referrals_visible_to(profile).values("person_id"))
    return qs


def identification_today(view: NearestRelativeView, on: date) -> s26.Identification:
    """Work out the nearest relative again from the stored relatives (e.g. after a birthday)."""
    return s26.identify_nearest_relative(
        relative_facts(view.relatives),
        on=on,
        patient_date_of_birth=view.person.date_of_birth,
        in_care_of=view.record.in_care_of if view.record else "",
    )


def child_notes(view: NearestRelativeView, on: date) -> list[tuple[str, str]]:
    """What a child's case needs (s131A, Code ch.19, s27), as (provision, note) pairs; empty for an adult."""
    in_care = bool(view.record and view.record.in_care_of)
    return child_flags(age=view.person.age_on(on), in_care_of_council=in_care).notes()
