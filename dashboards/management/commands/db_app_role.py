"""Create or update the web app's least-privilege PostgreSQL role.

The role may read and write the hub's tables but only SELECT and INSERT the audit trail: it cannot
change or delete an audit row (the table's trigger refuses that to everyone as well). Migrations run
as the owner; the web app, worker and beat connect as this role (see docker-compose.yml).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from amhp_hub.env import env_secret

AUDIT_TABLES = ("common_auditevent",)


def grant_statements(role: str) -> list[str]:
    """The GRANTs and REVOKEs that make ROLE a least-privilege app role over the current schema."""
    q = connection.ops.quote_name(role)
    audit = ", ".join(AUDIT_TABLES)
    return [
        f"GRANT CONNECT ON DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} TO {q}",
        f"GRANT USAGE ON SCHEMA public TO {q}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {q}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {q}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {audit} FROM {q}",
        # Tables created by later migrations (run by the owner) get the same rights.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {q}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {q}",
    ]


def ensure_role(role: str, password: str | None) -> None:
    q = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        verb = "ALTER" if cursor.fetchone() else "CREATE"
        if password:
            cursor.execute(
                f"{verb} ROLE {q} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD %s", [password]
            )
        else:
            cursor.execute(f"{verb} ROLE {q} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
        for statement in grant_statements(role):
            cursor.execute(statement)


class Command(BaseCommand):
    help = "Create or update the app's PostgreSQL role: no UPDATE or DELETE on the audit trail (run after migrate)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", default="amhp_app")
        parser.add_argument("--password", default=None, help="Default: APP_DB_PASSWORD or APP_DB_PASSWORD_FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The app role is for PostgreSQL; SQLite has no roles")
        password = options["password"] or env_secret("APP_DB_PASSWORD", "") or None
        ensure_role(options["role"], password)
        self.stdout.write(f"Role {options['role']} may use the hub's tables; the audit trail is insert-only for it")
