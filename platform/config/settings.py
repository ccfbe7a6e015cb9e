"""Jointly settings: one module, configured from the environment.

Production is the default and fails closed: DEBUG is off and the keys
(SECRET_KEY, MFA_ENCRYPTION_KEY, BID_SEALING_KEY, AUDIT_CHAIN_KEY) are required and must differ.
`make run` sets JOINTLY_ENV=development, and tests set TESTING, which turn on
DEBUG (development only) and known local keys; the other values have local
defaults (docs/operating.md).
"""

import sys
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from kombu import Queue

from ops.logs import logging_config
from ops.sentry import sentry_init
from tenancy.dbsetup import owner_url_for

PLATFORM_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PLATFORM_DIR.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Production unless told otherwise: `make run` sets JOINTLY_ENV=development.
DEVELOPMENT = env.str("JOINTLY_ENV", default="production").strip().lower() == "development"
DEBUG = env.bool("DJANGO_DEBUG", default=DEVELOPMENT)
# Under pytest, Redis and e-mail default to a test database, queue and outbox,
# so a suite can run beside `make run` without touching its data.
TESTING = env.bool("JOINTLY_TESTING", default="pytest" in sys.modules)
# Local keys are known to everyone: only development and tests may use them.
LOCAL_KEYS = DEVELOPMENT or TESTING

_INSECURE_KEY = "django-insecure-local-only-never-in-production"


def _key(name: str, local_default: str) -> str:
    """A required secret: from the environment, or a known local one in development and tests."""
    value = env.str(name, default="") or (local_default if LOCAL_KEYS else "")
    if not value:
        raise environ.ImproperlyConfigured(
            f"{name} must be set (docs/operating.md, Keys). For a local run set JOINTLY_ENV=development."
        )
    return value


# Three separate keys, each rotatable: new values sign or encrypt, the old ones
# listed in *_FALLBACKS still verify or decrypt (docs/operating.md, Keys).
SECRET_KEY = _key("SECRET_KEY", _INSECURE_KEY)
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
# Authenticator (TOTP) secrets are encrypted with it (accounts.adapters.MFAAdapter).
MFA_ENCRYPTION_KEY = _key("MFA_ENCRYPTION_KEY", SECRET_KEY)
MFA_ENCRYPTION_KEY_FALLBACKS = env.list("MFA_ENCRYPTION_KEY_FALLBACKS", default=[])
# Sealed bids are encrypted until their deadline with keys derived from it.
BID_SEALING_KEY = _key("BID_SEALING_KEY", SECRET_KEY)
# Older bid-sealing keys, kept only to open what they sealed (MultiFernet).
BID_SEALING_KEY_FALLBACKS = env.list("BID_SEALING_KEY_FALLBACKS", default=[])
# The audit chain's seal (HMAC-SHA256) key: kept out of the database, so
# nobody with database rights alone can re-seal a rewritten history. Events
# record the id of their key; retired keys stay in the fallbacks so that older
# events still verify (docs/operating.md, "Audit").
AUDIT_CHAIN_KEY = _key("AUDIT_CHAIN_KEY", "jointly-insecure-audit-chain-key-local-only")
AUDIT_CHAIN_KEY_FALLBACKS = env.list("AUDIT_CHAIN_KEY_FALLBACKS", default=[])
# Optional: a file outside the database to which every anchor of a chain's
# head is appended (ship it to write-once storage); verification reads it too.
AUDIT_ANCHOR_LOG = env.str("AUDIT_ANCHOR_LOG", default="")
if not LOCAL_KEYS:
    _keys = {"SECRET_KEY": SECRET_KEY, "MFA_ENCRYPTION_KEY": MFA_ENCRYPTION_KEY,
             "BID_SEALING_KEY": BID_SEALING_KEY, "AUDIT_CHAIN_KEY": AUDIT_CHAIN_KEY}
    for _name, _value in _keys.items():
        _same = [other for other, value in _keys.items() if other != _name and value == _value]
        if _same:
            raise environ.ImproperlyConfigured(
                f"{_name} and {_same[0]} must differ: one leaked or rotated key must not unlock the others."
            )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Tenancy -----------------------------------------------------------------
# Authorities are routed by path on one host (/a/<slug>/...), so one session
# cookie serves the regional site and every authority (docs/decisions.md).

SHARED_APPS = [
    "django_tenants",
    "tenancy",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "web.apps.JointlyAdminConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_forms_gds",
    "csp",
    "accounts",
    "audit",
    "outbox",
    "web",
    "demo",
    "shared_catalogue",
    "api",
    "ops",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "audit",
    "outbox",
    "tenants.workspace",
    "tenants.agreements",
    "tenants.admissions",
    "tenants.calloffs",
    "tenants.placements",
    "tenants.quality",
    "tenants.pricing",
    "tenants.history",
    "tenants.reports",
    "tenants.payments",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Authority"
TENANT_DOMAIN_MODEL = "tenancy.Route"
TENANT_SUBFOLDER_PREFIX = "a"
PUBLIC_SCHEMA_NAME = "public"
# New authorities are cloned from this migrated template schema, with their
# migrations faked, instead of replaying every migration (docs/benchmarks.md).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = env.bool("TENANT_CREATION_FAKES_MIGRATIONS", default=True)
# One `SET search_path` per connection and tenant switch, not one per cursor.
TENANT_LIMIT_SET_CALLS = True

DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    # A request id on every log line and response; latency metrics (ops.middleware).
    "ops.middleware.RequestContextMiddleware",
    # /healthz, /readyz and /metrics, answered before the Host is checked.
    "ops.middleware.ProbeMiddleware",
    # Security headers on every answer, refusals included.
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Refuses oversized bodies and NUL characters before anything reads them
    # (the authority's route included).
    "web.middleware.RequestGuardMiddleware",
    # A lost database connection: answered again (a read) or 503, never a 500.
    "ops.middleware.DatabaseOutageMiddleware",
    "tenancy.middleware.AuthoritySubfolderMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.TenantAccessMiddleware",
]

ROOT_URLCONF = "config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PLATFORM_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context_processors.jointly",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Data --------------------------------------------------------------------

# The application connects as a role that owns nothing (DATABASE_URL): it can
# read and write rows, and only add to the audit trail. Migrations and the
# building of new schemas run as the owner role (DATABASE_OWNER_URL), which
# only `migrate_all` and the set-up use (tenancy.roles, docs/operating.md).
_DATABASE_URL = env.str("DATABASE_URL", default="postgres://jointly_app@127.0.0.1:5432/jointly")
DATABASES = {"default": env.db_url_config(_DATABASE_URL)}
DATABASE_APP_ROLE = DATABASES["default"]["USER"]
DATABASE_OWNER = env.db_url_config(env.str("DATABASE_OWNER_URL", default="") or owner_url_for(_DATABASE_URL))
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
    "DATABASE_TEST_NAME", default="test_jointly"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/" + ("15" if TESTING else "0"))

CACHES = {
    "default": {
        # Django's Redis cache, which carries on as an empty cache while Redis
        # is unreachable (common.cache): the cache is an optimisation.
        "BACKEND": "common.cache.ResilientRedisCache",
        # Its own Redis database, apart from the broker's.
        "LOCATION": env.str(
            "CACHE_URL", default="redis://127.0.0.1:6379/" + ("14" if TESTING else "1")
        ),
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="jointly-test" if TESTING else "jointly"),
        # Keys carry the schema they were written under: no tenant reads
        # another's cached values.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "TIMEOUT": 300,
        # An unreachable host must not hold a request for long.
        "OPTIONS": {"socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
                    "socket_timeout": env.float("CACHE_TIMEOUT", default=1.0)},
    }
}
# API throttles count a person's requests across the regional site and every
# authority, so their keys do not carry the schema.
CACHES["throttle"] = {
    key: value for key, value in CACHES["default"].items() if key != "KEY_FUNCTION"
} | {"KEY_PREFIX": CACHES["default"]["KEY_PREFIX"] + "-throttle"}

# --- People ------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/account/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_ALLOW_REGISTRATION = env.bool("ACCOUNT_ALLOW_REGISTRATION", default=True)
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
# Failed sign-ins: 10 a minute from one client, and 5 in 5 minutes for one
# account from one client (the "key" is the account and the client, so a
# stranger cannot lock the owner out: accounts.adapters.AccountAdapter).
ACCOUNT_RATE_LIMITS = {} if TESTING else {
    "login_failed": env.str("ACCOUNT_LOGIN_FAILED_RATE", default="10/m/ip,5/5m/key"),
}
# Behind a load balancer or proxy, the real client's address is read from
# X-Forwarded-For (trusting this many proxies) or from one header the proxy sets;
# sign-in limits and API throttles key on it (docs/operating.md).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", default="") or None
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Jointly"

SESSION_COOKIE_NAME = "jointly_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
CSRF_COOKIE_NAME = "jointly_csrftoken"
SECURE = not DEBUG and not TESTING and env.bool("JOINTLY_HTTPS", default=True)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# A Content-Security-Policy on every response (django-csp): scripts, styles and
# everything else only from this site; the layout's one inline script runs by
# a nonce made per response. The API documentation pages widen it for what
# Swagger UI and ReDoc need (config.urls_public).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # the two-factor QR code is a data: image
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- API ---------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.StrictContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    # api.filters: every list filters through its FilterSet; an unknown or bad filter is a 400.
    "DEFAULT_FILTER_BACKENDS": ["api.filters.StrictFilterBackend"],
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    # api.throttling: token requests per person, and the views that name a scope.
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle", "api.throttling.ViewScopeThrottle"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

# Generous enough for scripts, the bid storm and the directory's own pages;
# a client over the rate gets 429 with Retry-After (docs/operating.md).
API_THROTTLE_RATES = {
    "token": env.str("API_THROTTLE_TOKEN", default="1200/minute"),
    "bid_submit": env.str("API_THROTTLE_BID_SUBMIT", default="60/minute"),
    "directory": env.str("API_THROTTLE_DIRECTORY", default="300/minute"),
}

KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own migrations would create its unused default token table.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": None,  # expiry is chosen per token; none means it lasts until revoked
    "TOKEN_PREFIX": "jly_",
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Jointly API",
    "DESCRIPTION": (
        "Regional joint commissioning of care. The regional site's API lives at "
        "/api/v1/; each authority's at /a/{authority}/api/v1/. Errors are RFC 9457 "
        "problem details (application/problem+json)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every error status an operation can answer, as a problem document (api.schema).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.problem_responses"],
    "ENUM_NAME_OVERRIDES": {
        "CostUnitEnum": "tenants.placements.models.Unit",
        "HistoryImportKindEnum": "tenants.history.models.Kind",
        "AuthorityKindEnum": "tenancy.models.Authority.Kind",
        "ProviderKindEnum": "shared_catalogue.models.Provider.Kind",
        "AuthorityRoleEnum": "accounts.roles.AuthorityRole",
        "ProviderRoleEnum": "accounts.roles.ProviderRole",
        "EvidenceTypeEnum": "shared_catalogue.models.EvidenceType",
        "AgreementKindEnum": "tenants.agreements.rules.Kind",
        "AgreementStatusEnum": "tenants.agreements.models.Agreement.Status",
        "QuestionnaireStatusEnum": "tenants.agreements.models.QuestionnaireVersion.Status",
        "QuestionKindEnum": "tenants.agreements.models.Question.Kind",
        "ApplicationStatusEnum": "tenants.admissions.models.Application.Status",
        "AdmissionStatusEnum": "tenants.admissions.models.Admission.Status",
        "DecisionLetterKindEnum": "tenants.admissions.models.DecisionLetter.Kind",
        "PackageStatusEnum": "tenants.calloffs.models.Package.Status",
        "StaffGenderEnum": "tenants.calloffs.models.Package.StaffGender",
        "AwardBasisEnum": "tenants.calloffs.models.Award.Basis",
        "NoAwardNextStepEnum": "tenants.calloffs.models.NoAward.Next",
        "PrimaryNeedEnum": "tenants.calloffs.models.Package.PrimaryNeed",
        "CallOffOutcomeEnum": "tenants.reports.outcomes.Outcome",
        "LotOutcomeEnum": "tenants.admissions.models.ApplicationLot.Outcome",
        "OutcomeExportFrequencyEnum": "tenants.reports.models.OutcomeExportSettings.Frequency",
        "WithdrawalReasonEnum": "tenants.calloffs.models.Withdrawal.Reason",
        "PlacementStatusEnum": "tenants.placements.models.Placement.Status",
        "PricingScheduleStatusEnum": "tenants.pricing.models.PricingSchedule.Status",
        "RateUnitEnum": "tenants.pricing.models.Rate.Unit",
        "PriceFlagEnum": "tenants.pricing.models.BidPriceCheck.Flag",
        "PriceExplanationStatusEnum": "tenants.pricing.models.BidPriceCheck.Explanation",
        "PaymentScheduleStatusEnum": "tenants.payments.models.Schedule.Status",
        "ActionReviewOutcomeEnum": "tenants.quality.models.ActionReview.Outcome",
        "PaymentLineKindEnum": "tenants.payments.models.Line.Kind",
        "PaymentCadenceEnum": "tenants.payments.models.Cadence",
        "BidStatusEnum": "tenants.calloffs.models.Bid.Status",
        "BidStateEnum": "api.v1.provider_calloffs.BID_STATES",
        "OpportunityStatusEnum": "shared_catalogue.models.OpportunityProjection.Status",
        "KpiReturnStatusEnum": "tenants.quality.models.KpiReturn.Status",
        "KpiMeasureEnum": "tenants.quality.models.Kpi.Measure",
        "KpiPeriodEnum": "tenants.quality.models.Kpi.Period",
        "KpiCoversEnum": "tenants.quality.models.Kpi.Covers",
        "IntelligenceKindEnum": "tenants.quality.models.Intelligence.Kind",
        "IntelligenceShareEnum": "tenants.quality.models.Intelligence.Share",
        "ContractActionKindEnum": "tenants.quality.models.Action.Kind",
        "ContractActionStatusEnum": "tenants.quality.models.Action.Status",
        "AssessmentStatusEnum": "tenants.quality.models.Assessment.Status",
        "QualityRatingEnum": "tenants.quality.models.RATINGS",
        "SeverityEnum": "tenants.quality.models.SEVERITIES",
        "RiskColourEnum": "api.v1.quality.COLOURS",
        "KpiRagEnum": "api.v1.quality.RAG",
        "TaskKindEnum": "tenants.workspace.models.TaskKind",
        "DeliveryEnum": "tenants.workspace.models.Delivery",
        "ImmediateOnlyEnum": "api.v1.work_queue.IMMEDIATE_ONLY",
        "TaskClockStateEnum": "api.v1.work_queue.CLOCK_STATES",
        "QualityStandardEnum": "tenants.quality.standards.STANDARD_CHOICES",
        "QualityDomainEnum": "tenants.quality.models.DOMAINS",
        "FollowUpStatusEnum": "tenants.quality.models.FollowUp.Status",
        "FollowUpOwnerEnum": "tenants.quality.models.FollowUp.Owner",
    },
}

# --- Background work ---------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_RESULT_EXPIRES = 24 * 60 * 60
# Nobody reads a task's result, so none is stored; a caller that reads one
# asks for it (apply_async(ignore_result=False)).
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = env.str(
    "CELERY_TASK_DEFAULT_QUEUE", default="jointly-test" if TESTING else "jointly"
)
# Queues named for what they carry, so each can have workers of its own
# (docs/operating.md, Queues): closing at deadlines, e-mail, and maintenance
# (the outbox's flush, audit checks, clean-ups). Tests add a suffix of their
# own. A worker started without --queues consumes every queue below.
CELERY_QUEUE_SUFFIX = env.str("CELERY_QUEUE_SUFFIX", default="-test" if TESTING else "")
TASK_QUEUES = {
    "calloffs.package_close": "deadlines",
    "calloffs.packages_close_due": "deadlines",
    "accounts.membership_notify": "mail",
    "catalogue.provider_person_notify": "mail",
    "catalogue.evidence_reminders": "mail",
    "calloffs.invitations_notify": "mail",
    "calloffs.deadline_moved_notify": "mail",
    "calloffs.bid_letter_send": "mail",
    "calloffs.clarification_published_notify": "mail",
    "calloffs.withdrawal_notify": "mail",
    "pricing.schedule_published_notify": "mail",
    "pricing.explanation_requested_notify": "mail",
    "admissions.decision_letter_send": "mail",
    "quality.provider_mail": "mail",
    "workspace.tasks_notify": "mail",
    "workspace.digest_send": "mail",
    "quality.returns_chase": "mail",
    "reports.outcome_export_send": "mail",
    "reports.outcome_exports_due": "maintenance",
    "outbox.flush": "maintenance",
    "quality.returns_open_due": "maintenance",
    "quality.cqc_ratings_record": "maintenance",
    "quality.risk_refresh": "maintenance",
    "ops.beat_heartbeat": "maintenance",
    "admissions.suspensions_end_due": "maintenance",
    "audit.verify_chain": "maintenance",
    "audit.anchor_chain": "maintenance",
    "accounts.purge_expired_tokens": "maintenance",
}
CELERY_TASK_ROUTES = {task: {"queue": f"{queue}{CELERY_QUEUE_SUFFIX}"} for task, queue in TASK_QUEUES.items()}
CELERY_TASK_QUEUES = [Queue(name) for name in [CELERY_TASK_DEFAULT_QUEUE] + sorted(
    {f"{queue}{CELERY_QUEUE_SUFFIX}" for queue in TASK_QUEUES.values()})]
# Every task has a soft limit (SoftTimeLimitExceeded is raised in it) and a
# hard one (the worker process is replaced); tasks that need longer say so.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Sending a task fails fast when the broker is unreachable (the outbox keeps
# it for later and the request still succeeds): connect within 2 s, one retry.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
# Redis hands an unacknowledged task (acks late: a task waiting for its ETA
# too) to another worker after the visibility timeout. Nothing is sent with
# an ETA further ahead than OUTBOX_LOOKAHEAD, and no task runs longer than its
# hard limit, so neither comes near it (common.dispatch refuses a far ETA).
CELERY_VISIBILITY_TIMEOUT = 60 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
# The outbox (outbox.services): a message due later (a deadline's closing) is
# handed to the broker only within OUTBOX_LOOKAHEAD seconds of being due, with
# that ETA; one handed over but not done is handed over again after
# OUTBOX_REDISPATCH_AFTER seconds (a lost queue, a crashed worker), up to
# OUTBOX_MAX_ATTEMPTS times, then left for a person (docs/operating.md).
# Sent messages are kept OUTBOX_KEEP_DAYS days.
OUTBOX_LOOKAHEAD = env.int("OUTBOX_LOOKAHEAD", default=5 * 60)
OUTBOX_REDISPATCH_AFTER = env.int("OUTBOX_REDISPATCH_AFTER", default=10 * 60)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=20)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=30)
CELERY_TIMEZONE = "Europe/London"
# tenant-schemas-celery's, made to survive a lost database connection (tenancy.beat).
CELERY_BEAT_SCHEDULER = "tenancy.beat.ResilientTenantAwareScheduler"
CELERY_BEAT_SCHEDULE = {
    # Every authority's chain (no tenant_schemas: all tenants), then the public one.
    "catalogue.evidence_reminders": {
        "task": "catalogue.evidence_reminders",
        "schedule": crontab(hour=7, minute=0),
        "tenant_schemas": ["public"],
    },
    # Suspensions with an end date end by themselves, in every authority.
    "admissions.suspensions_end_due": {
        "task": "admissions.suspensions_end_due",
        "schedule": crontab(hour=0, minute=15),
    },
    # The safety net behind each call-off's own closing task, in every authority.
    "calloffs.close_due": {
        "task": "calloffs.packages_close_due",
        "schedule": 60.0,
    },
    # The outbox: whatever was not handed to the broker after its change, in
    # every authority and then the public schema. A flush not started within
    # its period is dropped: the next one does the same work.
    "outbox.flush": {
        "task": "outbox.flush",
        "schedule": 30.0,
        "options": {"expires": 30},
    },
    "outbox.flush_public": {
        "task": "outbox.flush",
        "schedule": 30.0,
        "tenant_schemas": ["public"],
        "options": {"expires": 30},
    },
    "audit.verify_chains": {
        "task": "audit.verify_chain",
        "schedule": crontab(hour=2, minute=30),
    },
    "audit.verify_public_chain": {
        "task": "audit.verify_chain",
        "schedule": crontab(hour=2, minute=45),
        "tenant_schemas": ["public"],
    },
    # Each chain's head, anchored where the application's role cannot rewrite
    # it (audit.anchors): every authority's, then the public one.
    "audit.anchor_chains": {
        "task": "audit.anchor_chain",
        "schedule": crontab(minute=7),
    },
    "audit.anchor_public_chain": {
        "task": "audit.anchor_chain",
        "schedule": crontab(minute=8),
        "tenant_schemas": ["public"],
    },
    # Each period's performance returns open when it ends; late ones are chased.
    "quality.returns_open_due": {
        "task": "quality.returns_open_due",
        "schedule": crontab(hour=6, minute=0),
    },
    "quality.returns_chase": {
        "task": "quality.returns_chase",
        "schedule": crontab(hour=9, minute=0),
    },
    "quality.risk_refresh": {
        "task": "quality.risk_refresh",
        "schedule": crontab(minute=20),
    },
    # Staff work queue (tenants.workspace): new tasks e-mailed to those who want
    # them straight away, and each person's digest, in every authority.
    "workspace.tasks_notify": {
        "task": "workspace.tasks_notify",
        "schedule": 5 * 60,
    },
    "workspace.digest_send": {
        "task": "workspace.digest_send",
        "schedule": crontab(hour=7, minute=30),
    },
    # Each authority's call-off outcome export (weekly or monthly, as it chooses),
    # made once per period and sent through the outbox (tenants.reports.services).
    "reports.outcome_exports_due": {
        "task": "reports.outcome_exports_due",
        "schedule": crontab(hour=6, minute=30),
    },
    "accounts.purge_expired_tokens": {
        "task": "accounts.purge_expired_tokens",
        "schedule": 60 * 60,
        "tenant_schemas": ["public"],
    },
    # Beat's heartbeat: /readyz?checks=beat fails when it is older than 3 periods (ops.heartbeat).
    "ops.beat_heartbeat": {
        "task": "ops.beat_heartbeat",
        "schedule": env.float("BEAT_HEARTBEAT_SECONDS", default=60.0),
        "tenant_schemas": ["public"],
        "options": {"expires": env.float("BEAT_HEARTBEAT_SECONDS", default=60.0)},
    },
}

# --- E-mail ------------------------------------------------------------------

# Mail goes out through EMAIL_BACKEND (the variable), counted by ops.mail for /metrics.
# Development writes one .eml file per message into EMAIL_FILE_PATH (var/mail/; common.mail).
EMAIL_DELIVERY_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="common.mail.EmlFileBackend" if DEVELOPMENT else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_BACKEND = "ops.mail.CountingEmailBackend"
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Jointly <no-reply@jointly.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Front end ---------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [PLATFORM_DIR / "web" / "static", BASE_DIR / "var" / "assets"]
# Evidence documents are private: never under STATIC or MEDIA URLs, only through
# the permission-checked download view.
EVIDENCE_ROOT = env.str("EVIDENCE_ROOT", default=str(BASE_DIR / "var" / "private"))
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
# A body over DATA_UPLOAD_MAX_MEMORY_SIZE (forms, JSON) is refused with a 413
# from its Content-Length, before it is read (web.middleware); an upload may
# carry EVIDENCE_MAX_BYTES plus this much for the form around the file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
UPLOAD_OVERHEAD_BYTES = env.int("UPLOAD_OVERHEAD_BYTES", default=256 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Evidence goes to an S3-compatible bucket when EVIDENCE_S3_BUCKET is set
# (private objects, never a URL: shared_catalogue.storage_s3), else to
# EVIDENCE_ROOT on local disk. Unset keys fall back to boto3's own chain
# (AWS_ACCESS_KEY_ID, an instance role). With a bucket, EVIDENCE_STORAGE is
# not read: the backend is always the private one.
EVIDENCE_S3_BUCKET = env.str("EVIDENCE_S3_BUCKET", default="")
if EVIDENCE_S3_BUCKET:
    _EVIDENCE_STORAGE = {"BACKEND": "shared_catalogue.storage_s3.EvidenceS3Storage",
                         "OPTIONS": {key: value for key, value in {
                             "bucket_name": EVIDENCE_S3_BUCKET,
                             "endpoint_url": env.str("EVIDENCE_S3_ENDPOINT_URL", default=""),
                             "region_name": env.str("EVIDENCE_S3_REGION", default=""),
                             "access_key": env.str("EVIDENCE_S3_ACCESS_KEY_ID", default=""),
                             "secret_key": env.str("EVIDENCE_S3_SECRET_ACCESS_KEY", default=""),
                             "location": env.str("EVIDENCE_S3_PREFIX", default=""),
                             "addressing_style": env.str("EVIDENCE_S3_ADDRESSING_STYLE", default=""),
                         }.items() if value}}
else:
    _EVIDENCE_STORAGE = {"BACKEND": env.str("EVIDENCE_STORAGE", default="shared_catalogue.storage.EvidenceStorage")}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "evidence": _EVIDENCE_STORAGE,
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

SERVICE_NAME = "Jointly"

# --- Locale ------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Operations (docs/operating.md) ------------------------------------------

# One JSON object a line in production, text in development and tests; every
# line carries the request id, authority, user, and a task's id (ops.logs).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if LOCAL_KEYS else "json")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))

# /metrics: for a bearer token, or from these networks (CIDRs); neither set, no metrics.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list(
    "METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"] if DEVELOPMENT else []
)
# Celery queues whose length /metrics reports, besides the default queue.
METRICS_QUEUES = env.list("METRICS_QUEUES", default=["deadlines", "mail", "maintenance"])
BEAT_HEARTBEAT_SECONDS = CELERY_BEAT_SCHEDULE["ops.beat_heartbeat"]["schedule"]
OPS_REDIS_TIMEOUT = env.float("OPS_REDIS_TIMEOUT", default=1.0)
OPS_KEY_PREFIX = CACHES["default"]["KEY_PREFIX"] + "-ops"

# Error reports, only with a DSN; no personal data (ops.sentry).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
sentry_init(dsn=SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEVELOPMENT
                                                 else "production"),
            release=env.str("SENTRY_RELEASE", default=""),
            traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0))
