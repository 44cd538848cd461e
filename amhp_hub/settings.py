"""Settings for AMHP Hub, all read from the environment.

With nothing set but SECRET_KEY (or SECRET_KEY_FILE) the hub runs on its embedded
defaults: a SQLite file and kombu's filesystem broker under VAR_DIR. Set DATABASE_URL
and REDIS_URL for PostgreSQL and Redis.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from amhp_hub.common.zone import SERVICE_TIME_ZONE
from amhp_hub.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_secret("SECRET_KEY")
if env_bool("STRICT_SECRET_KEY", False) and len(SECRET_KEY) < 50:
    # docker-compose sets STRICT_SECRET_KEY: production refuses a guessable key.
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_forms_gds",
    "django_htmx",
    "django_celery_beat",
    "amhp_hub.common",
    "rota",
    "referrals",
    "assessments",
    "planning",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A correlation id for every request; a database fault becomes a clean 503 that names it.
    "amhp_hub.common.security.RequestContextMiddleware",
    "csp.middleware.CSPMiddleware",
    # Sign-in attempts over their address's limits are refused here, before any session or CSRF work.
    "amhp_hub.common.sign_in_guard.SignInRateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, reading the session's device through a compiled statement.
    "amhp_hub.common.mfa.StaffOTPMiddleware",
    # 12-hour absolute session limit, then MFA before anything else (enrolment at first sign-in).
    "amhp_hub.common.security.SessionLimitMiddleware",
    "amhp_hub.common.security.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Denied requests (403/404) are audited; pages and API answers are never cached.
    "amhp_hub.common.security.DeniedRequestAuditMiddleware",
    "amhp_hub.common.security.NoStoreMiddleware",
    # Last, so it sees a locked-out sign-in before the view does.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "amhp_hub.urls"
WSGI_APPLICATION = "amhp_hub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amhp_hub.common.context_processors.staff",
                "assessments.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'amhp_hub.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# A request blocked on a row lock, or a runaway query, fails fast (a 503) instead of hanging.
DB_LOCK_TIMEOUT_MS = env_int("DB_LOCK_TIMEOUT_MS", 3000)
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 4500)
# Jobs and commands (Celery tasks, migrations, seeding) run set-based statements over whole tables
# that may rightly take longer; they keep the lock timeout. manage.py marks its commands (all but
# runserver) with AMHP_PROCESS=job; the Celery worker and beat switch at start (amhp_hub.celery).
DB_JOB_STATEMENT_TIMEOUT_MS = env_int("DB_JOB_STATEMENT_TIMEOUT_MS", 600_000)
JOB_PROCESS = env_str("AMHP_PROCESS", "") == "job"


# PostgreSQL connection options (libpq `options`) for requests and for jobs.
# Compiled statements (amhp_hub.common.statements) are prepared on each PostgreSQL session once; turn off
# behind a pooler that hands one session to many clients (PgBouncer in transaction mode).
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", True)
DB_REQUEST_OPTIONS = f"-c lock_timeout={DB_LOCK_TIMEOUT_MS} -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
DB_JOB_OPTIONS = f"-c lock_timeout={DB_LOCK_TIMEOUT_MS} -c statement_timeout={DB_JOB_STATEMENT_TIMEOUT_MS}"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = DB_JOB_OPTIONS if JOB_PROCESS else DB_REQUEST_OPTIONS
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: wait for the lock instead of failing while the worker writes.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username before the password is checked.
    "amhp_hub.common.security.LockoutBackend",
    # Then Django's ModelBackend, loading the staff profile with the user (one statement fewer a
    # request); Django's own stays listed so sessions signed in through it remain valid.
    "amhp_hub.common.auth.StaffModelBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sessions end after 30 idle minutes and at the latest 12 hours after sign-in (SessionLimitMiddleware;
# the last-seen time is written at most once a minute, so a page costs no session write).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
# API tokens expire this long after they were issued; a new sign-in issues a new one.
API_TOKEN_TTL_SECONDS = env_int("API_TOKEN_TTL_SECONDS", 12 * 3600)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # __Host- cookies: sent only over HTTPS, only to this host, path /; a subdomain cannot plant one.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Behind the TLS-terminating proxy: it sets X-Forwarded-Proto, and plain HTTP is redirected.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", not DEBUG) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)

# A strict Content-Security-Policy: scripts only from this site (no inline script anywhere),
# styles only from this site, no framing (django-csp 4).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# MFA (django-otp): TOTP codes from an authenticator app, with one-off recovery codes.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "AMHP Hub")
OTP_TOTP_TOLERANCE = 1
MFA_RECOVERY_CODES = 10

# Lockout (django-axes): 5 failures for one username lock it for 15 minutes, from any address; 5 failures
# from one address lock that address too (a guesser cannot get round it by trying many usernames).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "amhp_hub.common.security.lockout_response"
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# Sign-in attempts (web page and token endpoint) per client address, in any 10 seconds and per
# minute, and password checks at once per web process (amhp_hub.common.sign_in_guard).
SIGN_IN_ATTEMPTS_PER_MINUTE = env_int("SIGN_IN_ATTEMPTS_PER_MINUTE", 20)
SIGN_IN_BURST = env_int("SIGN_IN_BURST", 10)
SIGN_IN_CONCURRENCY = env_int("SIGN_IN_CONCURRENCY", 1)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = SERVICE_TIME_ZONE
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Expiring tokens, read with their user and staff profile in one statement.
        "amhp_hub.common.auth.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "amhp_hub.common.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's, counting in two windows rather than keeping every request's time (amhp_hub.common.throttling).
        "amhp_hub.common.throttling.AnonRateThrottle",
        "amhp_hub.common.throttling.UserRateThrottle",
        "amhp_hub.common.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("THROTTLE_ANON", "30/minute"),
        "user": env_str("THROTTLE_USER", "2000/hour"),
        "token": env_str("THROTTLE_TOKEN", "10/minute"),
        "export": env_str("THROTTLE_EXPORT", "60/hour"),
    },
    "EXCEPTION_HANDLER": "amhp_hub.common.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AMHP Hub API",
    "DESCRIPTION": "Referrals, triage queue, rota and allocation for an AMHP service.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request and response shapes differ (write-only and read-only fields): document each on its own.
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema and its docs need a verified sign-in; Redoc is served from static/ (no CDN).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status": give each choice set its own name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "ReferralStatusEnum": "referrals.constants.Status",
        "AssessmentStatusEnum": "assessments.models.AssessmentStatus",
        "ToilStatusEnum": "assessments.models.ToilEntry.Status",
        "SwapStatusEnum": "rota.models.SwapRequest.Status",
        "RequestKindEnum": "assessments.models.RequestKind",
        "RequestOutcomeEnum": "assessments.models.RequestOutcome",
        "TimelineKindEnum": "assessments.models.TimelineEvent.Kind",
    },
}

# --- Cache and Celery -------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "amhp_hub.common.cache.SharedClientRedisCache", "LOCATION": REDIS_URL}}
    # Sessions are read from Redis and written through to the database (which keeps them if Redis is
    # flushed): a page costs no session query. Only with a shared cache: with the per-process memory cache
    # one process could go on trusting a session another has ended.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CELERY_BROKER_URL = REDIS_URL
    # A task taken by a worker that died is handed out again after this long: above the task
    # time limit (so a slow task is never run twice), under five minutes.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 240)
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 120)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 180)
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic jobs (assessments.tasks). Each start_* task fans out one task per service.
# The database scheduler (django_celery_beat) loads these entries at start-up.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Send again any rota designer comparison still waiting after the broker was unreachable.
    "send-queued-designs": {"task": "planning.tasks.send_queued_designs", "schedule": crontab(minute="*/5")},
    # Raise and clear late flags (past due, past shift end, near or past a statutory expiry),
    # then notify the AMHP and consultants of new flags in-app.
    "flag-late-work": {"task": "assessments.tasks.start_flag_late_work", "schedule": crontab(minute="*/5")},
    # Book pending TOIL accruals for completed work that ran past the AMHP's shift end.
    "book-toil": {"task": "assessments.tasks.start_book_toil", "schedule": crontab(minute="*/15")},
    # Catch-up for late-flag notifications, swap requests and decisions, and email every notification not yet emailed.
    "notifications": {"task": "assessments.tasks.start_notifications", "schedule": timedelta(minutes=5)},
    # Fold closed and changed days into the dashboards' daily roll-up (dashboards.rollups).
    "dashboard-rollups": {"task": "dashboards.tasks.start_refresh_rollups", "schedule": crontab(minute="*/10")},
    # Warn AMHPs and managers of warrants ending within WARRANT_WARNING_DAYS (07:00 UTC daily).
    "warrant-warnings": {"task": "assessments.tasks.start_warrant_warnings", "schedule": crontab(hour=7, minute=0)},
    # Warn managers of shifts under required cover in the next ROTA_GAP_DAYS (07:15 UTC daily).
    "rota-gap-warnings": {"task": "assessments.tasks.start_rota_gap_warnings", "schedule": crontab(hour=7, minute=15)},
    # Beat's heartbeat, which /healthz reads: unhealthy when beat has not ticked for HEALTH_BEAT_STALE_SECONDS.
    "beat-heartbeat": {"task": "amhp_hub.common.tasks.beat_heartbeat", "schedule": timedelta(minutes=1)},
    # Anonymise the people whose every referral closed more than RETENTION_YEARS ago (03:30 UTC daily).
    "retention": {"task": "assessments.tasks.start_retention", "schedule": crontab(hour=3, minute=30)},
    # Audit month partitions ahead, and drop those past AUDIT_RETENTION_YEARS (03:45 UTC daily; needs the
    # tables' owner: where the worker runs as the least-privilege role, `manage.py audit_partitions` does it).
    "audit-partitions": {"task": "amhp_hub.common.tasks.audit_partitions", "schedule": crontab(hour=3, minute=45)},
}
HEALTH_BEAT_STALE_SECONDS = env_int("HEALTH_BEAT_STALE_SECONDS", 180)
HEALTH_WORKER_TIMEOUT_SECONDS = float(env_int("HEALTH_WORKER_TIMEOUT_MS", 1500)) / 1000
# Records are kept this many years after the person's last referral closed, then anonymised
# (the audit trail is kept). Records Management Code of Practice 2021: mental health records, 20 years.
RETENTION_YEARS = env_int("RETENTION_YEARS", 20)
# The audit trail is partitioned by month on PostgreSQL (amhp_hub.common.audit_partitions): months
# are made this far ahead, and a month is dropped once wholly older than AUDIT_RETENTION_YEARS, a
# year beyond the records themselves, so who saw a record stays answerable after it is anonymised.
AUDIT_PARTITIONS_AHEAD_MONTHS = env_int("AUDIT_PARTITIONS_AHEAD_MONTHS", 12)
AUDIT_RETENTION_YEARS = env_int("AUDIT_RETENTION_YEARS", RETENTION_YEARS + 1)

# --- Email --------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "amhp-hub@localhost")

# --- Service rules (DOMAIN.md); every tunable duration is named here ---------------
# Hours before a statutory expiry by which the assessment should be done.
STATUTORY_SAFETY_MARGIN_HOURS = env_int("STATUTORY_SAFETY_MARGIN_HOURS", 2)
# Target hours from receipt to assessment for each priority band.
PRIORITY_TARGET_HOURS = {
    "emergency": env_int("TARGET_HOURS_EMERGENCY", 2),
    "urgent": env_int("TARGET_HOURS_URGENT", 6),
    "soon": env_int("TARGET_HOURS_SOON", 24),
    "routine": env_int("TARGET_HOURS_ROUTINE", 120),
}
# Local target for the police to hand over at a place of safety (Right Care Right Person phase 4).
POLICE_HANDOVER_TARGET_MINUTES = env_int("POLICE_HANDOVER_TARGET_MINUTES", 60)
# Another referral of the same NHS number within this many days is a repeat referral.
REPEAT_REFERRAL_DAYS = env_int("REPEAT_REFERRAL_DAYS", 28)
# Queue page size (the page and the API both paginate).
QUEUE_PAGE_SIZE = env_int("QUEUE_PAGE_SIZE", 25)
# Queue counts are exact up to this many; beyond it the page says "more than" (constant cost).
QUEUE_COUNT_CAP = env_int("QUEUE_COUNT_CAP", 2000)
# Background jobs: a referral is flagged "near statutory expiry" this many hours before it.
LATE_STATUTORY_MARGIN_HOURS = env_int("LATE_STATUTORY_MARGIN_HOURS", 4)
# Sweeps look only at what became due or changed since their last run, with a full sweep this often.
SWEEP_FULL_EVERY_MINUTES = env_int("SWEEP_FULL_EVERY_MINUTES", 60)
# TOIL accrues in whole blocks of this many minutes; a shorter overrun earns nothing.
TOIL_BLOCK_MINUTES = env_int("TOIL_BLOCK_MINUTES", 15)
# At most this many hours of TOIL accrue per AMHP per Europe/London calendar month (example NHS policy).
TOIL_MONTHLY_CAP_HOURS = env_int("TOIL_MONTHLY_CAP_HOURS", 15)
# Earned TOIL not taken within this many days lapses (0: it never lapses).
TOIL_EXPIRY_DAYS = env_int("TOIL_EXPIRY_DAYS", 90)
# Warn of AMHP warrants ending within this many days.
WARRANT_WARNING_DAYS = env_int("WARRANT_WARNING_DAYS", 90)
# Look this many days ahead for shifts under their required cover.
ROTA_GAP_DAYS = env_int("ROTA_GAP_DAYS", 14)
# Emails sent per run of the email job.
NOTIFICATION_EMAIL_BATCH = env_int("NOTIFICATION_EMAIL_BATCH", 200)
# Absolute links in emails start with this (no trailing slash), e.g. https://amhp.example.gov.uk
SITE_URL = env_str("SITE_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "amhp_hub.security": {"level": "INFO"}},
}
