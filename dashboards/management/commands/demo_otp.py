from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amhp_hub.common import mfa


class Command(BaseCommand):
    help = "Print the authentication code a demo user's authenticator would show now (demo data only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user called {options['username']!r}")
        device = mfa.confirmed_totp(user)
        if device is None:
            raise CommandError(f"{user.username} has no authenticator yet: they set one up at first sign-in")
        self.stdout.write(mfa.current_code(device))
