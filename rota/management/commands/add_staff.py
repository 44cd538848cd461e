from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amhp_hub.common import mfa
from rota.models import Role
from rota.services import service_get_or_create, staff_create


class Command(BaseCommand):
    help = "Create a member of staff with a role in a service (the service is created if missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--service", required=True, help="The AMHP service's name")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--approval-expires",
            type=date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="For an AMHP: the last day of their approval (SI 2008/1206)",
        )
        parser.add_argument(
            "--totp-secret",
            default=None,
            help="BASE32: provision this authenticator secret (without it the user enrols at first sign-in)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        secret = options["totp_secret"]
        if secret:
            try:
                mfa.hex_key_from_base32(secret)
            except ValueError as exc:
                raise CommandError(f"--totp-secret: {exc}") from exc
        try:
            service = service_get_or_create(name=options["service"])
            profile = staff_create(
                username=options["username"],
                service=service,
                role=options["role"],
                password=options["password"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
                warrant_expires_on=options["approval_expires"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        if secret:
            mfa.provision_totp(profile.user, secret)
        self.stdout.write(f"Created {profile.role} {profile.user.username} in {service.name}")
        self.stdout.write("Authenticator provisioned" if secret else "They set up an authenticator at first sign-in")
