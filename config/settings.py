"""One settings module, driven by environment variables.

With nothing set, Groundwork runs on the embedded default: SQLite and Celery's
filesystem broker under ``var/``. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch
it to PostgreSQL and Redis without a code change.
"""

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GROUNDWORK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """A value from a fixed set; anything else stops the process at startup, not mid-task."""
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-used-with-debug-on"

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "projects",
    "datasets",
    "labeling",
    "quality",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.errors.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by the limit below into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# Database: PostgreSQL from DATABASE_URL, else a SQLite file (WAL, immediate
# transactions, so the worker and the web process take turns instead of failing).
_default_sqlite = f"sqlite:///{VAR_DIR / 'groundwork.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("GROUNDWORK_TEST_SQLITE", str(VAR_DIR / "test.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins are limited per username and per client address (django-axes, counted in the
# database so every process shares them): at GROUNDWORK_LOGIN_FAILURE_LIMIT failures within the
# cool-off, logins for that username or from that address are refused with 429 until
# GROUNDWORK_LOGIN_COOLOFF_SECONDS have passed since the last failure. Behind a reverse proxy, set
# GROUNDWORK_PROXY_COUNT so the client's address is read from X-Forwarded-For, not the proxy's.
AUTHENTICATION_BACKENDS = [
    "config.login_limit.LoginLimitBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("GROUNDWORK_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(seconds=env_int("GROUNDWORK_LOGIN_COOLOFF_SECONDS", 900))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "config.login_limit.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.login_limit.client_address"
AXES_DISABLE_ACCESS_LOG = True  # no row for each successful login: scripts ask for tokens often
AXES_VERBOSE = False
GROUNDWORK_PROXY_COUNT = env_int("GROUNDWORK_PROXY_COUNT", 0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "project-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads live here under generated names; nothing under MEDIA_ROOT is served by URL
# (there is no MEDIA_URL route): project images go out through a view that checks membership.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# Security: strict when DEBUG is off (manage.py check --deploy is clean).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.authentication.FastTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.GroundworkAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Groundwork API",
    "DESCRIPTION": "Labels and data quality in one place: projects, batches, dataset versions, items.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Splits and leakage checks share one set of run states (datasets.models.SplitStatus): one name for it.
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "datasets.models.SplitStatus",
        "PredictionUploadStatusEnum": "labeling.models.PredictionUploadStatus",
        "SelectionActionEnum": "labeling.models.SelectionAction",
    },
}

# Celery: reliable by default. A task is acknowledged only after it finished, is
# given back if its worker dies, and a worker takes one task at a time. Acks are a
# second line of defence only: the filesystem broker deletes a message as it reads it,
# and Redis gives an unacknowledged one back after the visibility timeout, so what
# actually recovers a batch whose worker died is the sweep below, which reads the
# batch's lease in the database. Every task is safe to receive twice.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 2 * 3600)
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 60, CELERY_TASK_TIME_LIMIT * 9 // 10)
_broker_dir = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # How often an idle worker looks in the folder for a new task (Redis hands it over at once).
        "polling_interval": env_float("GROUNDWORK_BROKER_POLL_SECONDS", 1.0),
    }
else:
    # Above the longest task (twice the hard time limit), or Redis would hand a running
    # task to a second worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 2 * CELERY_TASK_TIME_LIMIT),
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# How long a new pool process may take to report itself up before Celery kills it and forks
# another (Celery's default is 4 s). On a loaded machine a child's start-up can take longer,
# and a child killed for it is replaced by one that is killed for the same reason, forever.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = env_float("CELERY_WORKER_PROC_ALIVE_TIMEOUT", 60.0)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Batches: limits and the lease that lets a new worker take over a dead one's batch.
GROUNDWORK_MAX_UPLOAD_BYTES = env_int("GROUNDWORK_MAX_UPLOAD_BYTES", 512 * 1024 * 1024)
GROUNDWORK_MAX_BATCH_ROWS = env_int("GROUNDWORK_MAX_BATCH_ROWS", 5_000_000)
GROUNDWORK_MAX_FIELD_BYTES = env_int("GROUNDWORK_MAX_FIELD_BYTES", 1024 * 1024)
GROUNDWORK_MAX_COLUMNS = env_int("GROUNDWORK_MAX_COLUMNS", 1_000)  # a wide file stalls every check per column
GROUNDWORK_MAX_IMAGE_BYTES = env_int("GROUNDWORK_MAX_IMAGE_BYTES", 25 * 1024 * 1024)
GROUNDWORK_MAX_IMAGE_PIXELS = env_int("GROUNDWORK_MAX_IMAGE_PIXELS", 50_000_000)
GROUNDWORK_MAX_IMAGES_PER_REQUEST = env_int("GROUNDWORK_MAX_IMAGES_PER_REQUEST", 200)
GROUNDWORK_IMPORT_CHUNK_ROWS = env_int("GROUNDWORK_IMPORT_CHUNK_ROWS", 50_000)
GROUNDWORK_BATCH_LEASE_SECONDS = env_int("GROUNDWORK_BATCH_LEASE_SECONDS", 120)
GROUNDWORK_BATCH_SWEEP_SECONDS = env_int("GROUNDWORK_BATCH_SWEEP_SECONDS", 30)
GROUNDWORK_BATCH_MAX_ATTEMPTS = env_int("GROUNDWORK_BATCH_MAX_ATTEMPTS", 3)
# Validation: "spark" runs the GX suite on Spark (pip install -r requirements-spark.txt, Java 17);
# the built-in checks stream pandas chunks either way.
GROUNDWORK_VALIDATION_ENGINE = env_choice("GROUNDWORK_VALIDATION_ENGINE", "pandas", ("pandas", "spark"))
GROUNDWORK_SPARK_MASTER = os.environ.get("GROUNDWORK_SPARK_MASTER", "local[*]")
if GROUNDWORK_VALIDATION_ENGINE == "spark" and importlib.util.find_spec("pyspark") is None:
    raise ImproperlyConfigured(
        "GROUNDWORK_VALIDATION_ENGINE=spark needs pyspark: pip install -r requirements-spark.txt."
    )
# Labeling: an item held by an annotator who walked away goes back to the queue after this.
GROUNDWORK_LABEL_LEASE_SECONDS = env_int("GROUNDWORK_LABEL_LEASE_SECONDS", 600)
GROUNDWORK_LABEL_RELEASE_CHECK_SECONDS = env_float("GROUNDWORK_LABEL_RELEASE_CHECK_SECONDS", 2.0)
# The worker that makes a version fills its queue; a request takes in at most this many items
# of a version that arrived otherwise (older ones), and leaves more to the sweep below.
GROUNDWORK_QUEUE_FILL_IN_REQUEST_MAX = env_int("GROUNDWORK_QUEUE_FILL_IN_REQUEST_MAX", 10_000)
# Selections of more items than this run as a job on a worker, with progress on the page.
GROUNDWORK_SELECTION_INLINE_MAX = env_int("GROUNDWORK_SELECTION_INLINE_MAX", 10_000)
# Review: agreement, consensus and label issues of a project with fewer annotations than this are
# computed in the request; a larger project's are computed by a worker while the pages poll.
GROUNDWORK_REVIEW_INLINE_MAX = env_int("GROUNDWORK_REVIEW_INLINE_MAX", 20_000)
# Items up to which a new queue order (or a new model under the uncertainty order) is applied in
# the request; a larger project's is applied by a worker.
GROUNDWORK_QUEUE_ORDER_INLINE_MAX = env_int("GROUNDWORK_QUEUE_ORDER_INLINE_MAX", 20_000)
CELERY_BEAT_SCHEDULE = {
    "batch-recover-stale": {
        "task": "quality.tasks.batch_recover_stale",
        "schedule": float(GROUNDWORK_BATCH_SWEEP_SECONDS),
        # A sweep that waited behind a long import is stale: the next one is due already.
        "options": {"expires": float(GROUNDWORK_BATCH_SWEEP_SECONDS)},
    },
    "queues-fill-behind": {
        "task": "labeling.tasks.queues_fill_behind",
        "schedule": float(GROUNDWORK_BATCH_SWEEP_SECONDS),
        "options": {"expires": float(GROUNDWORK_BATCH_SWEEP_SECONDS)},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Great Expectations narrates its own start-up at INFO (hundreds of lines a process): its warnings only.
    "loggers": {"great_expectations": {"level": os.environ.get("GX_LOG_LEVEL", "WARNING")}},
}
