"""HTX Market settings.

Everything is read from the environment through one django-environ reader, with safe local
defaults (SQLite, the database search backend, console e-mail). `DJANGO_ENV=production` turns on
the strict checks: a missing secret fails loudly instead of falling back.
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: production must set it
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise environ.ImproperlyConfigured("SECRET_KEY must be a long random string (50+ chars)")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-htx-market-key-change-me-0123456789")
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "market",
    "catalog",
    "search",
    "orders",
    "ledger",
    "quotes",
    "frontend",
]

MIDDLEWARE = [
    "market.observability.RequestMiddleware",  # request id, access log line, latency metric
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

if (
    PRODUCTION
):  # runserver serves static files in development; WhiteNoise after collectstatic in production
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "market.urls"
WSGI_APPLICATION = "market.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.cart",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
# Persistent connections: a new connection per request cost ~11 ms of every search over HTTP
# (bench/search_latency.py --http). Health-checked before reuse, so a restarted server is fine.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the dev server and a drain command share the file. IMMEDIATE
    # transactions take the write lock when they begin: with SQLite's default (DEFERRED), two
    # transactions that both read then write deadlock on the upgrade and one fails at once with
    # "database is locked" (the busy timeout cannot help); IMMEDIATE makes them wait their turn.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Fail fast while the server is away (restart, failover): a 503 in seconds, not a hang;
    # keep connections for a minute and check them before reuse (a restart drops them).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    # DATABASE_CONN_MAX_AGE (above) applies here too: this line used to reset it to 0 outside
    # production, so every PostgreSQL request opened a connection (+26 ms at p50 over HTTP in
    # bench/search_latency.py --http). CONN_MAX_AGE is still read, as an older name.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int(
        "CONN_MAX_AGE", default=DATABASES["default"]["CONN_MAX_AGE"]
    )
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A test database per test process, so parallel runs on one server never collide.
    DATABASES["default"]["TEST"] = {"NAME": f"test_htx_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "market.User"
AUTHENTICATION_BACKENDS = ["market.accounts.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# Vietnamese first, English second.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
# Our apps' catalogues are LOCALE_PATHS, which win over every INSTALLED_APPS catalogue: without
# this, django.contrib.admin (listed first) replaced our words for shared msgids ("Log out" read
# "Thoát", "Remove" read "Gỡ bỏ"). Among our apps the order stays INSTALLED_APPS' (the first wins).
LOCALE_PATHS = [
    BASE_DIR / app / "locale"
    for app in INSTALLED_APPS
    if "." not in app and (BASE_DIR / app / "locale").is_dir()
] + [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["market.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private_media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-mail"))  # file backend
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="HTX Market <no-reply@htx.market>")
# Every mail is a background task queued after commit (market/mail.py).
if PRODUCTION:
    EMAIL_CONFIG = env.email_url("EMAIL_URL")
    vars().update(EMAIL_CONFIG)

# The cache holds the throttle counters (login, signup, reset): it must be shared by every app
# server process, or `gunicorn -w N` multiplies each limit by N. CACHE_URL wins; in production a
# REDIS_URL is used when CACHE_URL is not set; the local default is per-process memory.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": env.cache(
        "CACHE_URL",
        default=(REDIS_URL if PRODUCTION and REDIS_URL else "locmemcache://htx"),
    )
}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A cache that is down must not hang requests: fail within a second (throttles then fail open).
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 1, "socket_timeout": 1}
    )

# Public catalog reads (search results area, API search answers) shared by every visitor for this
# many seconds; content edits show at once, stock figures may be this old (market.shared.pagecache).
# On only with a shared cache: per-process caches would not all see an edit's invalidation.
PUBLIC_CACHE_SECONDS = env.int(
    "PUBLIC_CACHE_SECONDS",
    default=30 if PRODUCTION and CACHES["default"]["BACKEND"].endswith("RedisCache") else 0,
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "market.api.schema.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "market.api.parsers.JSONParser",  # answers JSON nested too deeply with 400, not RecursionError
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "market.api.responses.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "market.api.responses.Pagination",
    "PAGE_SIZE": 24,
    # Throttles identify clients by REMOTE_ADDR, or by the Nth-from-last X-Forwarded-For entry
    # behind N trusted proxies. Unset, DRF would key on the whole header the client sends, and a
    # forged header per request would escape every limit (login guessing, mail flooding).
    # Production already trusts one TLS proxy (SECURE_PROXY_SSL_HEADER below), hence 1 there.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=1 if PRODUCTION else 0),
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        "signup": env.str("THROTTLE_SIGNUP", default="10/hour"),
        "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="5/hour"),
        "reconcile": "600/min",
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HTX Market API",
    "DESCRIPTION": "Chợ hợp tác xã Việt Nam — cooperatives, catalog, search, orders and payments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served by us: no CDN (and no inline script, see CSP)
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set used by several fields (else drf_spectacular.W001).
    "ENUM_NAME_OVERRIDES": {
        "PaymentMethodEnum": "orders.models.PaymentMethod",
        "QuoteCurrencyEnum": "quotes.models.CURRENCIES",
        "OrderStatusEnum": "orders.models.Order.Status",
        "OrderPaymentStatusEnum": "orders.models.Order.PaymentStatus",
        "PaymentStatusEnum": "orders.models.Payment.Status",
        "RefundStatusEnum": "orders.models.Refund.Status",
        "RfqStatusEnum": "quotes.models.Rfq.Status",
        "QuoteStatusEnum": "quotes.models.Quote.Status",
        "PayoutLineStatusEnum": "ledger.models.PayoutLine.Status",
        "ProductStatusEnum": "catalog.models.Product.Status",
        "CertificationStatusEnum": "catalog.models.Certification.Status",
        "ImportJobStatusEnum": "catalog.models.ImportJob.Status",
        "ProductImageStatusEnum": "catalog.models.ProductImage.Status",
        "CooperativeStatusEnum": "market.models.Cooperative.Status",
    },
    # <id:…> (market.api.converters) is a positive int64.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}
    },
}

# Search: "database" (default, embedded), "elasticsearch" or "opensearch".
SEARCH_BACKEND = env.str("SEARCH_BACKEND", default="database")
ELASTICSEARCH_URL = env.str("ELASTICSEARCH_URL", default="http://127.0.0.1:9200")
OPENSEARCH_URL = env.str("OPENSEARCH_URL", default="http://127.0.0.1:9201")
SEARCH_INDEX_PREFIX = env.str("SEARCH_INDEX_PREFIX", default="htx")
SEARCH_SYNC_ON_COMMIT = env.bool("SEARCH_SYNC_ON_COMMIT", default=True)
# With an engine, the database backend is kept up to date beside it ("database"; "" = off) and
# answers searches, marked degraded, while the engine is down.
SEARCH_FALLBACK = env.str("SEARCH_FALLBACK", default="database")
# Database backend: facet counts of a repeated query are cached this long (0 = off); every index
# write bumps a generation that invalidates them.
SEARCH_FACET_CACHE_SECONDS = env.int("SEARCH_FACET_CACHE_SECONDS", default=30)
SEARCH_BROWSE_FACET_CACHE_SECONDS = env.int("SEARCH_BROWSE_FACET_CACHE_SECONDS", default=600)
# Result cards: the static parts (names, SKUs, units, cooperative, category, thumbnail) of at most
# this many families are kept per process for one card generation (search.cards); prices and
# stock are read on every page. 0 = read every card column on every page.
SEARCH_CARD_CACHE_FAMILIES = env.int("SEARCH_CARD_CACHE_FAMILIES", default=10_000)
# every backend: a big relevance-ranked match ranks only its newest this many name matches
# (docs/search.md "Ranking"; SEARCH_RANK_WINDOW_MIN_DOCS / _MIN_ROWS, unset here, lower the
# size test for tests: search/backends/database.py `is_big_match`)
SEARCH_RANK_WINDOW = env.int("SEARCH_RANK_WINDOW", default=2000)
# engines: a relevance page is ranked among the name matches first, which rank above every other
# match (search/backends/engine_query.py `names_first`; the same answers); off: ranked in full
SEARCH_NAMES_FIRST = env.bool("SEARCH_NAMES_FIRST", default=True)
# engines: a page sorted on a field (price, newest) beside its facets leaves the total to the facet
# request, so the engine can skip matches that cannot reach the page (`engine_query.total_apart`)
SEARCH_SORTED_TOTAL_APART = env.bool("SEARCH_SORTED_TOTAL_APART", default=True)
# A search whose match is larger than this may answer with an estimated total and facet counts
# estimated from a sample, flagged `total_exact: false` ("about N products"); a match up to this
# size is always counted exactly (Elasticsearch's own default for track_total_hits).
SEARCH_EXACT_COUNT_UP_TO = env.int("SEARCH_EXACT_COUNT_UP_TO", default=10_000)
# Elasticsearch/OpenSearch: the totals of this many recent searches (words and filters) are kept
# per process for 300 s, so that a search whose match is known to be small sends its page and
# facets as one request instead of two side by side (the same answer). 0 = none kept.
SEARCH_KNOWN_TOTALS = env.int("SEARCH_KNOWN_TOTALS", default=4096)
# A guest's plain GET of the product search API is answered by search.fastpath (the same status,
# headers and body as Django's middleware and DRF give, ~1 ms less a request); 0 = the full stack.
SEARCH_API_FAST_PATH = env.bool("SEARCH_API_FAST_PATH", default=True)

# Catalog spreadsheet import: "task" queues each job as a background task (a Celery worker, or
# this process after commit without a broker); "inline" runs it inside the request (tests).
CATALOG_IMPORT_RUNNER = env.str("CATALOG_IMPORT_RUNNER", default="task")
CATALOG_IMPORT_STALE_SECONDS = env.int("CATALOG_IMPORT_STALE_SECONDS", default=120)
# What one import may cost: declared unpacked size of an XLSX (checked before parsing), product
# rows, characters in one cell.
CATALOG_IMPORT_MAX_UNZIPPED_BYTES = env.int(
    "CATALOG_IMPORT_MAX_UNZIPPED_BYTES", default=50 * 1024 * 1024
)
CATALOG_IMPORT_MAX_ROWS = env.int("CATALOG_IMPORT_MAX_ROWS", default=5_000)
CATALOG_IMPORT_MAX_CELL_CHARS = env.int("CATALOG_IMPORT_MAX_CELL_CHARS", default=10_000)
# Product images and logos: at most this many pixels (header-checked before decoding).
CATALOG_IMAGE_MAX_PIXELS = env.int("CATALOG_IMAGE_MAX_PIXELS", default=4096 * 4096)
# Images and files stored per cooperative (market.cooperatives.quota).
COOPERATIVE_STORAGE_QUOTA_MB = env.int("COOPERATIVE_STORAGE_QUOTA_MB", default=500)

# Background work (market.background). With CELERY_BROKER_URL set, `enqueue` publishes tasks to
# Celery workers after commit (and beat runs the periodic ones, market/celery.py). Without it
# (`make run`, the test suite) each task runs in this process right after the commit.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Stock moves (checkouts, cancellations) reach the index in one drain this many seconds after the
# first of them, not one drain each (search.sync.on_changes_committed). Needs a broker (the drain
# is a delayed task) and a shared cache (the "drain pending" flag); 0 = a drain per move.
SEARCH_STOCK_DRAIN_SECONDS = env.int(
    "SEARCH_STOCK_DRAIN_SECONDS",
    default=3 if CELERY_BROKER_URL and CACHES["default"]["BACKEND"].endswith("RedisCache") else 0,
)
CELERY_TASK_IGNORE_RESULT = True  # outcomes live in market.BackgroundTask rows, not a result store
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True  # a worker that dies mid-task leaves the message for another one
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=330)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="htx")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Redis: a message taken by a worker that then dies is given to another after this long. It must
# be longer than the longest task (the time limit above).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # Publishing tries the connection once: a request must not wait on a broker that is down.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
}
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # workers and beat wait for the broker for ever
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Celery closes a worker's database connections only every this many tasks; between them
# market.celery closes the old or broken ones, as Django does between requests (CONN_MAX_AGE).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_WORKER_SEND_TASK_EVENTS = False
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
# Queued work that could not reach the broker (it was down) is re-published by the periodic
# `background_flush` after this many seconds.
BACKGROUND_FLUSH_AFTER_SECONDS = env.int("BACKGROUND_FLUSH_AFTER_SECONDS", default=30)

# Payments.
PAYMENT_METHODS = env.list("PAYMENT_METHODS", default=["bank_transfer", "cod"])
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # set to stripe-mock in tests
if STRIPE_SECRET_KEY and "stripe" not in PAYMENT_METHODS:
    PAYMENT_METHODS.append("stripe")
if PRODUCTION and "stripe" in PAYMENT_METHODS and not STRIPE_WEBHOOK_SECRET:
    raise environ.ImproperlyConfigured("STRIPE_WEBHOOK_SECRET is required when Stripe is enabled")
PLATFORM_COMMISSION_PERCENT = env.float("PLATFORM_COMMISSION_PERCENT", default=5.0)
# Unpaid card orders expire after this.
ORDER_UNPAID_TIMEOUT_HOURS = env.int("ORDER_UNPAID_TIMEOUT_HOURS", default=48)
# Stock held for an unpaid bank-transfer order. 6 hours: VietQR transfers go over NAPAS 247 and
# arrive within seconds at any hour, so a real buyer pays within minutes of checkout; 6 hours
# still covers a buyer who has to wait for an OTP, a spouse's phone or the end of a work shift.
# 48 hours let one unpaid checkout keep a product off sale for two days; 6 hours (with the caps
# below) bounds what a never-paying account can hold to a few hours of a few orders.
ORDER_BANK_TRANSFER_RESERVATION_HOURS = env.int("ORDER_BANK_TRANSFER_RESERVATION_HOURS", default=6)
# Per buyer: open unpaid bank-transfer orders, and their value.
ORDER_UNPAID_MAX_OPEN = env.int("ORDER_UNPAID_MAX_OPEN", default=3)
ORDER_UNPAID_MAX_VALUE_VND = env.int("ORDER_UNPAID_MAX_VALUE_VND", default=50_000_000)
# Per buyer, counted in the database (shared by every app server, API and web alike).
ORDER_CHECKOUTS_PER_HOUR = env.int("ORDER_CHECKOUTS_PER_HOUR", default=10)
# A checkout above this total needs a confirmed e-mail address.
ORDER_VERIFIED_EMAIL_ABOVE_VND = env.int("ORDER_VERIFIED_EMAIL_ABOVE_VND", default=5_000_000)
# The address form lists the provinces buyers ship to most before the alphabetical list; the
# ranking (a count over a year of checkouts) is cached this long. Tests set 0 (no caching).
ORDER_PROVINCE_RANKING_CACHE_SECONDS = 3600
# Money for a delivered order is released to its cooperative when the buyer completes it, or
# automatically this many days after delivery (no open refund).
ORDER_AUTO_COMPLETE_DAYS = env.int("ORDER_AUTO_COMPLETE_DAYS", default=7)
# The weekly payout run pays a cooperative only when it is owed at least this much.
LEDGER_PAYOUT_MINIMUM_VND = env.int("LEDGER_PAYOUT_MINIMUM_VND", default=200_000)
USD_VND_RATE = env.int("USD_VND_RATE", default=26000)
# Days an export installment is due after its trigger (acceptance, packing, shipment, B/L copy).
EXPORT_PAYMENT_DAYS = env.int("EXPORT_PAYMENT_DAYS", default=7)
# The bank feed's bearer token: required in production (an empty token would either lock the
# feed out or, worse, be compared against an empty header).
if PRODUCTION:
    BANK_RECONCILE_TOKEN = env.str("BANK_RECONCILE_TOKEN")
    if len(BANK_RECONCILE_TOKEN) < 32:
        raise environ.ImproperlyConfigured("BANK_RECONCILE_TOKEN must be at least 32 characters")
else:
    BANK_RECONCILE_TOKEN = env.str("BANK_RECONCILE_TOKEN", default="dev-bank-feed-token")

# Security.
# SECURE_COOKIES / SECURE_SSL_REDIRECT=false only for a production stack served over plain HTTP on
# loopback (`make stack-up`); a real host has a TLS proxy in front and keeps the defaults.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = 31536000 if PRODUCTION else 0
# Every subdomain is ours and served over TLS; preload puts the domain in browsers' HSTS lists
# (so even the first visit is HTTPS). `manage.py check --deploy` expects both.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Observability. Logs: one JSON object per line in production (LOG_FORMAT=json: time, level,
# logger, message, request_id, and per request route/status/duration_ms/user_id, per task
# task_id/task_name); plain text on a developer's console.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "market.logs.ContextFilter"}},
    "formatters": {
        "json": {"()": "market.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "htx": {"level": LOG_LEVEL},
        "celery": {"level": LOG_LEVEL},
        # the access log is one line per request: on the console only when asked for
        "htx.request": {"level": LOG_LEVEL if PRODUCTION or LOG_FORMAT == "json" else "WARNING"},
        # one INFO line per search engine request otherwise (a Celery worker started with
        # --loglevel=INFO sets the root level): the engine latency is a metric already
        "elastic_transport": {"level": "WARNING"},
        "opensearch": {"level": "WARNING"},
    },
}
# GET /metrics (Prometheus): allowed with `Authorization: Bearer $METRICS_TOKEN`, or from the
# addresses of METRICS_ALLOWED_IPS (networks; default loopback only).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETS = [
    __import__("ipaddress").ip_network(n.strip(), strict=False)
    for n in env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1/32", "::1/128"])
]
# Errors to Sentry when SENTRY_DSN is set (web and workers alike).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=DJANGO_ENV,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )
