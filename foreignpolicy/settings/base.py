"""Settings shared by every environment; each value an operator may change comes from
the environment (see README, "Configuration")."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Django's admin on a site that asks staff for the second step (foreignpolicy/admin_site.py).
    "foreignpolicy.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "import_export",
    "csp",
    "huey.contrib.djhuey",
    "reversion",
    # Staff login (docs/security.md, "Staff login"): django-axes locks out repeated failed
    # logins; django-otp asks staff for a second step, an authenticator's code or a recovery code.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "foreignpolicy",
    "directorates",
    "agreements",
    "events",
    # The pages across the three kinds, and the demo: depends on all of the above.
    "pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the page cache, so that a page served from it carries the headers too.
    "csp.middleware.CSPMiddleware",
    "foreignpolicy.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # An ETag from each page's content, so that a reader's second request for an unchanged
    # page is answered 304 without its body (streamed downloads carry none).
    "django.middleware.http.ConditionalGetMiddleware",
    # Anonymous readers' pages from the cache, before the session and the view are reached
    # (foreignpolicy.page_cache); inside the ETag's middleware, so that a hit answers 304 too.
    "foreignpolicy.page_cache.PageCacheMiddleware",
    # A request the database fails answers a 503 page, not a server error; for readers, the
    # page cache above answers the page's last good copy instead (foreignpolicy.database_away).
    "foreignpolicy.database_away.DatabaseAwayMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's, and an address without its prefix that is another language's leads there.
    "foreignpolicy.error_pages.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Right after the user is read from the session: whether they passed the second step.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a login refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Everything a page loads comes from this site: no inline script, style or event handler
# anywhere (public site and admin), no frames, no plugins, forms post only here
# (docs/security.md, "Content-Security-Policy").
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features the site never uses, refused to it and to anything it might embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
    )
}

# Staff login: axes' backend refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
# Either locks: that many failures for one username from any addresses (an attack spread over
# many machines), or from one address whatever the usernames (one machine trying many accounts).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A success does not wipe the count: else one's own account would reset an address's failures.
AXES_RESET_ON_SUCCESS = False
# Each attempt while locked starts the wait again, so that guessing on through the lock gains
# nothing; the lockout page says so. Axes' default, set here because the page relies on it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_LOCKOUT_CALLABLE = "foreignpolicy.lockout.lockout_response"
# The attempts' admin is registered by foreignpolicy/admin.py, for superusers only.
AXES_ENABLE_ADMIN = False
# Who logged in, from where and when, kept this long (foreignpolicy.tasks.delete_old_logins).
LOGIN_LOG_KEPT_DAYS = int(os.environ.get("LOGIN_LOG_KEPT_DAYS", "365"))
# The institution the site and its admin speak for, in each language: page titles, the
# header and footer, the admin's header, the Atom feed's author.
MINISTRY_NAME = {
    "es": os.environ.get("MINISTRY_NAME_ES", "Ministerio de Relaciones Exteriores del Perú"),
    "en": os.environ.get("MINISTRY_NAME_EN", "Ministry of Foreign Affairs of Peru"),
}
# Named on the lockout page as whom to ask, e.g. "the web team, web@cancilleria.example".
STAFF_HELP_CONTACT = os.environ.get("STAFF_HELP_CONTACT", "")
# Every staff member passes the second step; when off, only those who set one up.
OTP_REQUIRED = env_bool("OTP_REQUIRED", False)
OTP_TOTP_ISSUER = "foreignpolicy"
# The device admins never show a secret: an authenticator's key or the recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

ROOT_URLCONF = "foreignpolicy.urls"
WSGI_APPLICATION = "foreignpolicy.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in the project folder when nothing is set, so that trying the site needs no
# database server; DATABASE_URL=postgres://… switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # Without health checks a PostgreSQL restart costs one server error per worker.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The worker writes a large import while the site goes on reading. With SQLite's
    # write-ahead log, readers never wait for that write; with its default journal they
    # are locked out ("database is locked") until it commits.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
else:
    # PostgreSQL's JIT compiles a query when its estimated cost is high, as a bulk read's
    # often is: 0.3 s of compiling for a query that then ran in 0.04 s (an import reading
    # 2,000 records, an export's page). Behind PgBouncer, let it pass the startup option
    # (ignore_startup_parameters) or run ALTER ROLE … SET jit = off instead.
    database_options = DATABASES["default"].setdefault("OPTIONS", {})
    database_options["options"] = f"{database_options.get('options', '')} -c jit=off".strip()
    # A database host that stops answering (rather than refusing, as in a restart) would
    # hold a worker until gunicorn kills it; after this, readers get the cached copy instead.
    database_options.setdefault("connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5")))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["foreignpolicy.formats"]
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The page cache (foreignpolicy.page_cache): in Redis when CACHE_REDIS_URL names one, shared
# by every app server and worker; else pages in each process's memory, and the version that
# invalidates them in a file every process of this machine reads (the server and run_huey).
CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
if CACHE_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_REDIS_URL,
            # A Redis that stops answering slows every page by this much, not forever.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        # Some 1,000 pages of 20 to 100 kB in each process, the least recently read dropped first.
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 1000}},
        "public_version": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(BASE_DIR / "var" / "page-cache"),
        },
    }
# How long a page is kept at most; it is dropped as soon as what it shows changes. 0: no page cache.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "3600"))
# How long a page is kept beyond that, as its last good copy: what readers are shown while
# the database does not answer (a week: an outage over a weekend).
PAGE_CACHE_STALE_SECONDS = int(os.environ.get("PAGE_CACHE_STALE_SECONDS", str(7 * 24 * 60 * 60)))

# An import runs inside one transaction of its own: all or nothing. (Who may import and
# export is each kind's own permission: foreignpolicy.admin_files.)
IMPORT_EXPORT_USE_TRANSACTIONS = True
# The largest file the admin's import accepts: 20 MB, some 30,000 agreement rows with
# summaries as the demo's (docs/csv-format.md, "Size").
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
# Limits on what any imported file may hold, in the admin and on the command line, checked
# while the file is read (docs/csv-format.md, "Limits"). Rows of data, after the header.
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
# The widest record kind has 16 columns; the rest is room for mistakes the import names.
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "32"))
# Characters in one cell: room for a long Markdown body (Excel itself stops at 32,767).
IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", "100000"))
# What an .xlsx file may unpack to, all its parts together (100,000 rows as the site exports
# them unpack to some 76 MB).
IMPORT_MAX_XLSX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_XLSX_UNPACKED_BYTES", str(128 * 1024 * 1024)))

# Background jobs (README, "Importing and exporting"): Huey, with its queue in a SQLite file
# under var/ unless HUEY_REDIS_URL names a Redis server, which every app server and
# worker machine then shares. `python manage.py run_huey` is the worker.
HUEY_REDIS_URL = os.environ.get("HUEY_REDIS_URL", "")
HUEY = {
    "name": "foreignpolicy",
    # djhuey runs tasks in the request when DEBUG is on, unless told otherwise.
    "immediate": False,
    # Jobs keep their outcome in the database (FileJob); Huey need not keep results.
    "results": False,
    # Threads: one process holds the jobs. An idle worker looks at a SQLite queue every second.
    "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread", "max_delay": 1.0},
}
if HUEY_REDIS_URL:
    HUEY.update(huey_class="huey.RedisHuey", url=HUEY_REDIS_URL)
else:
    _huey_file = Path(os.environ.get("HUEY_SQLITE_PATH", BASE_DIR / "var" / "huey.sqlite3"))
    _huey_file.parent.mkdir(parents=True, exist_ok=True)
    HUEY.update(huey_class="huey.SqliteHuey", filename=str(_huey_file))
# Files up to this size are previewed and confirmed in the request; larger ones by the
# worker, with a progress page (1 MB is some 7,000 agreement rows, a few seconds' work).
IMPORT_INLINE_MAX_BYTES = int(os.environ.get("IMPORT_INLINE_MAX_BYTES", str(1024 * 1024)))
# Exports of up to this many records are made in the request; larger ones by the worker.
EXPORT_INLINE_MAX_ROWS = int(os.environ.get("EXPORT_INLINE_MAX_ROWS", "10000"))
# An undo of an import that created or changed more records runs in the worker.
UNDO_INLINE_MAX_RECORDS = int(os.environ.get("UNDO_INLINE_MAX_RECORDS", "5000"))
# A running job whose heartbeat is older than this (seconds) lost its worker.
FILE_JOBS_STALE_AFTER = int(os.environ.get("FILE_JOBS_STALE_AFTER", "300"))
# How often (seconds) the worker tells that a job is still running; 0: never.
FILE_JOBS_HEARTBEAT_SECONDS = 10
# Jobs, their files and their results are deleted after this many seconds (a day).
FILE_JOBS_KEPT_FOR = 24 * 60 * 60

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # With a handler of its own here, run_huey adds none, and its lines are not printed twice.
    "loggers": {"huey": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO"), "propagate": False}},
}
