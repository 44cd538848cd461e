"""Choices for referrals. Values are the snake_case names used in DOMAIN.md and the API."""

from __future__ import annotations

from django.db import models


class LegalStatus(models.TextChoices):
    S136 = "s136", "Section 136 (police, place of safety)"
    S135_1 = "s135_1", "Section 135(1) warrant"
    S135_2 = "s135_2", "Section 135(2) warrant (retake)"
    S5_2 = "s5_2", "Section 5(2) doctor's holding power"
    S5_4 = "s5_4", "Section 5(4) nurse's holding power"
    S4 = "s4", "Section 4 emergency admission"
    S2 = "s2", "Section 2 (assessment for section 3)"
    S3 = "s3", "Section 3 (renewal or CTO)"
    INFORMAL_INPATIENT = "informal_inpatient", "Informal in-patient"
    COMMUNITY = "community", "In the community"
    POLICE_CUSTODY = "police_custody", "Police custody (not s136)"
    NR_REQUEST = "nr_request", "Nearest relative request, s13(4)"
    CTO_RECALL = "cto_recall", "Recalled community patient (s17E)"


class PlaceOfSafety(models.TextChoices):
    HEALTH_BASED = "health_based", "Health-based place of safety"
    EMERGENCY_DEPARTMENT = "emergency_department", "Emergency department"
    POLICE_STATION = "police_station", "Police station"
    WARD = "ward", "Hospital ward"
    OTHER = "other", "Other"


class ApplicationSection(models.TextChoices):
    S2 = "s2", "Section 2"
    S3 = "s3", "Section 3"
    S4 = "s4", "Section 4"
    GUARDIANSHIP = "guardianship", "Guardianship (s7)"


class LegalChange(models.TextChoices):
    """How a legal status history entry came about (DESIGN.md section 8, legal-status POST)."""

    RECORDED = "recorded", "Recorded at referral"
    CHANGED = "changed", "Changed"
    REVOKED = "revoked", "CTO revoked (s17F(4))"
    RELEASED = "released", "Released"


class S136Consultee(models.TextChoices):
    """Who the police consulted before detaining under s136 (s136(1C): a doctor, nurse, AMHP or OT)."""

    DOCTOR = "doctor", "Registered medical practitioner"
    NURSE = "nurse", "Registered nurse"
    AMHP = "amhp", "AMHP"
    OCCUPATIONAL_THERAPIST = "occupational_therapist", "Occupational therapist"
    PARAMEDIC = "paramedic", "Paramedic"
    NOT_PRACTICABLE = "not_practicable", "Not practicable to consult"


class Priority(models.TextChoices):
    """Triage bands, most urgent first. The order of declaration is the queue order."""

    EMERGENCY = "emergency", "Emergency"
    URGENT = "urgent", "Urgent"
    SOON = "soon", "Soon"
    ROUTINE = "routine", "Routine"


PRIORITY_RANK = {value: rank for rank, value in enumerate(Priority.values, start=1)}


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    NEW = "new", "Awaiting triage"
    MORE_INFO = "more_info", "Needs more information"
    ACCEPTED = "accepted", "Accepted, awaiting allocation"
    ALLOCATED = "allocated", "Allocated"
    APPLICATION_MADE = "application_made", "Application made, awaiting admission"
    ADMITTED = "admitted", "Admitted"
    ASSESSED = "assessed", "Assessment completed, no application"
    REDIRECTED = "redirected", "Redirected elsewhere"
    CLOSED = "closed", "Closed"


# Referrals that sit in the triage queue.
QUEUE_STATUSES = (Status.NEW, Status.MORE_INFO, Status.ACCEPTED)
# Referrals whose clocks still run: the queue, allocated work, and signed applications awaiting
# a bed, conveyance or the hospital managers (DESIGN.md section 8).
OPEN_STATUSES = (*QUEUE_STATUSES, Status.ALLOCATED, Status.APPLICATION_MADE)


class TriageDecision(models.TextChoices):
    ACCEPT = "accept", "Accept for assessment"
    MORE_INFO = "more_info", "Needs more information"
    REDIRECT = "redirect", "Redirect elsewhere"
    CLOSE = "close", "Close"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    NOT_KNOWN = "not_known", "Not known"


class Ethnicity(models.TextChoices):
    """NHS Data Dictionary ethnic category codes (2001 census categories)."""

    A = "A", "White - British"
    B = "B", "White - Irish"
    C = "C", "White - Any other White background"
    D = "D", "Mixed - White and Black Caribbean"
    E = "E", "Mixed - White and Black African"
    F = "F", "Mixed - White and Asian"
    G = "G", "Mixed - Any other mixed background"
    H = "H", "Asian or Asian British - Indian"
    J = "J", "Asian or Asian British - Pakistani"
    K = "K", "Asian or Asian British - Bangladeshi"
    L = "L", "Asian or Asian British - Any other Asian background"
    M = "M", "Black or Black British - Caribbean"
    N = "N", "Black or Black British - African"
    P = "P", "Black or Black British - Any other Black background"
    R = "R", "Other Ethnic Groups - Chinese"
    S = "S", "Other Ethnic Groups - Any other ethnic group"
    Z = "Z", "Not stated"
    NOT_KNOWN = "99", "Not known"


# Each NHS Data Dictionary code beside the 2021 census of England and Wales (ONS table TS021):
# (broad group, category). The 2021 census moved Chinese from "Other" into the Asian group, and
# has categories the NHS codes lack (Gypsy or Irish Traveller, Roma, Arab): the NHS codes that
# hold them ("any other White", "any other ethnic group") are given their nearest 2021 category.
CENSUS_2021: dict[str, tuple[str, str]] = {
    "A": ("White", "White: English, Welsh, Scottish, Northern Irish or British"),
    "B": ("White", "White: Irish"),
    "C": ("White", "White: Other White (including Gypsy or Irish Traveller and Roma)"),
    "D": ("Mixed", "Mixed or Multiple: White and Black Caribbean"),
    "E": ("Mixed", "Mixed or Multiple: White and Black African"),
    "F": ("Mixed", "Mixed or Multiple: White and Asian"),
    "G": ("Mixed", "Mixed or Multiple: Other Mixed or Multiple ethnic groups"),
    "H": ("Asian", "Asian, Asian British or Asian Welsh: Indian"),
    "J": ("Asian", "Asian, Asian British or Asian Welsh: Pakistani"),
    "K": ("Asian", "Asian, Asian British or Asian Welsh: Bangladeshi"),
    "L": ("Asian", "Asian, Asian British or Asian Welsh: Other Asian"),
    "M": ("Black", "Black, Black British, Black Welsh, Caribbean or African: Caribbean"),
    "N": ("Black", "Black, Black British, Black Welsh, Caribbean or African: African"),
    "P": ("Black", "Black, Black British, Black Welsh, Caribbean or African: Other Black"),
    "R": ("Asian", "Asian, Asian British or Asian Welsh: Chinese"),
    "S": ("Other", "Other ethnic group: Any other ethnic group (including Arab)"),
}

# Broad groups used for equality reporting (rates per 100,000): the 2021 census groups, so the people
# counted match the population figures they are divided by.
ETHNIC_GROUP = {
    "A": "White",
    "B": "White",
    "C": "White",
    "D": "Mixed",
    "E": "Mixed",
    "F": "Mixed",
    "G": "Mixed",
    "H": "Asian",
    "J": "Asian",
    "K": "Asian",
    "L": "Asian",
    "M": "Black",
    "N": "Black",
    "P": "Black",
    "R": "Asian",  # Chinese: in the Asian group since the 2021 census
    "S": "Other",
    "Z": "Not stated or not known",
    "99": "Not stated or not known",
}


class Flag(models.TextChoices):
    REPEAT = "repeat", "Repeat referral"
    POSSIBLE_DUPLICATE = "possible_duplicate", "Possible duplicate"
    MISSING_NHS_NUMBER = "missing_nhs_number", "No NHS number"
    MISSING_LEGAL_START = "missing_legal_start", "Legal power start time missing"
    MISSING_NEAREST_RELATIVE = "missing_nearest_relative", "Nearest relative not recorded"
    INTERPRETER = "interpreter", "Interpreter needed"
    RISK_VIOLENCE = "risk_violence", "Risk of violence"
    RISK_WEAPONS = "risk_weapons", "Weapons"
    RISK_CHILDREN = "risk_children", "Children involved"
    UNDER_18 = "under_18", "Under 18: CAMHS-experienced assessor and an age-appropriate ward (s131A)"


FLAG_LABELS = dict(Flag.choices)


# The characters of a referral reference (R-XXXX-XXXX): no 0, 1, I or O, so it can be read out by phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
