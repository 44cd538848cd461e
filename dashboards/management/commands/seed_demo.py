from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amhp_hub.common.mfa import provision_demo_totp
from amhp_hub.demo import DEMO_TOTP_SECRET, seed_demo
from rota.models import Service, StaffProfile


class Command(BaseCommand):
    help = "Build a believable demo AMHP service; --scale multiplies the referrals for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1, help="2,000 referrals a year per unit (default 1)")
        parser.add_argument(
            "--open",
            type=int,
            default=None,
            dest="open_count",
            help="How many referrals are still open (default 30 per unit of scale)",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data")
        parser.add_argument("--service", default="Riverside AMHP Hub", help="The demo service's name")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any service exists already")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] < 1:
            raise CommandError("--scale must be 1 or more")
        if options["if_empty"] and Service.objects.exists():
            self.stdout.write("Demo data already loaded; nothing to do.")
            return
        if Service.objects.filter(name=options["service"]).exists():
            raise CommandError(f"A service called {options['service']!r} exists already; choose another --service")
        started = time.monotonic()
        result = seed_demo(
            service_name=options["service"],
            scale=options["scale"],
            open_count=options["open_count"],
            seed=options["seed"],
            progress=lambda message: self.stdout.write(f"  … {message} ({time.monotonic() - started:.0f} s)"),
        )
        provision_demo_totp(result.service.staff.values_list("user_id", flat=True), DEMO_TOTP_SECRET)
        counts = ", ".join(f"{value} {name}" for name, value in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {result.service.name}: {counts} in {time.monotonic() - started:.1f} s")
        )
        usernames = [username for _, username, _ in result.credentials]
        people = {
            p.user.username: p.display_name
            for p in StaffProfile.objects.filter(service=result.service, user__username__in=usernames).select_related(
                "user"
            )
        }
        self.stdout.write("Sign in with:")
        self.stdout.write(f"  {'role':<10} {'username':<12} {'password':<16} person")
        for role, username, password in result.credentials:
            self.stdout.write(f"  {role:<10} {username:<12} {password:<16} {people.get(username, '')}")
        self.stdout.write(
            f"Every demo user's authenticator secret is {DEMO_TOTP_SECRET} (demo data only): add it to an"
            " authenticator app, or print the current code with: python manage.py demo_otp USERNAME"
        )
