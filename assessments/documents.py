"""Documents rendered from the record: the s11(3) information to the nearest relative, the s13(4) written
reasons and the AMHP's outline report for the hospital. Printable HTML, and PDF through WeasyPrint."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from assessments.models import Application, Assessment
from referrals.models import NearestRelativeRequest
from referrals.nr_selectors import NearestRelativeView, child_notes

KINDS = {
    "nr-information": ("documents/s11_3_information.html", "Information for the nearest relative (s11(3))"),
    "s13-reasons": ("documents/s13_4_reasons.html", "Reasons for not making an application (s13(4))"),
    "outline-report": ("documents/outline_report.html", "AMHP's outline report for the hospital"),
}


def _s13_request(assessment: Assessment, nearest: NearestRelativeView) -> NearestRelativeRequest | None:
    """The nearest relative's request that this referral answers with no application (its own, else the latest)."""
    refused = [q for q in nearest.requests if q.outcome == NearestRelativeRequest.Outcome.NO_APPLICATION]
    own = [q for q in refused if q.referral_id == assessment.referral_id]
    return next(iter(own or refused), None)


def available(assessment: Assessment, application: Application | None, nearest: NearestRelativeView) -> dict[str, str]:
    """The documents this record can produce now, {kind: title}: the information letter and the report need an
    application and (for the letter) a nearest relative; the reasons letter needs a refused s13(4) request."""
    out: dict[str, str] = {}
    if application is not None and nearest.identified:
        out["nr-information"] = KINDS["nr-information"][1]
    if _s13_request(assessment, nearest) is not None:
        out["s13-reasons"] = KINDS["s13-reasons"][1]
    if application is not None:
        out["outline-report"] = KINDS["outline-report"][1]
    return out


def render_html(
    kind: str,
    *,
    assessment: Assessment,
    application: Application | None,
    nearest: NearestRelativeView,
    request: HttpRequest | None = None,
) -> str:
    """Render document KIND from the record as a complete HTML page (its print stylesheet is inlined)."""
    template, title = KINDS[kind]
    referral = assessment.referral
    person = referral.person
    today = timezone.localdate()
    age = person.age_on(today)
    context: dict[str, Any] = {
        "title": title,
        "assessment": assessment,
        "referral": referral,
        "person": person,
        "age": age,
        "child_notes": child_notes(nearest, today),
        "application": application,
        "recommendations": list(application.recommendations.all()) if application else [],
        "nearest": nearest,
        "objections": nearest.objections,
        "s13_request": _s13_request(assessment, nearest),
        "amhp": assessment.amhp,
        "service": assessment.service,
        "today": today,
    }
    return render_to_string(template, context, request=request)


def _static_file(url: str) -> str | None:
    """The file on disk behind URL when it is one of the app's static files, else None."""
    path = urlsplit(url).path
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    name = path[len(prefix) :] if path.startswith(prefix) else ""
    if not name:
        return None
    found = finders.find(name)
    if not found and staticfiles_storage.exists(name):  # a hashed name, after collectstatic
        found = staticfiles_storage.path(name)
    return found if isinstance(found, str) else None


def pdf_from_html(html: str, *, base_url: str) -> bytes:
    """Return the PDF of HTML. WeasyPrint reads the page's own static files from disk and fetches nothing else."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            found = _static_file(url)
            if found is None:
                raise ValueError(f"Documents load nothing from outside: {url}")
            with open(found, "rb") as handle:
                body = handle.read()
            content_type = "text/css" if found.endswith(".css") else "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return HTML(string=html, base_url=base_url, url_fetcher=StaticOnly()).write_pdf()
