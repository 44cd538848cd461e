#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amhp_hub.settings")
    if sys.argv[1:2] != ["runserver"]:
        # Commands are jobs: the longer statement timeout (settings.DB_JOB_STATEMENT_TIMEOUT_MS).
        os.environ.setdefault("AMHP_PROCESS", "job")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
