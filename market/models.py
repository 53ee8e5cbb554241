"""The market's parties: users and roles, cooperatives, memberships, seller verification,
Vietnamese administrative units, and the search outbox shared infrastructure."""

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager, Permission
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from market.shared.base import TimeStampedModel


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


PLATFORM_ADMIN_PERMISSION = "market.platform_admin"
PLATFORM_ADMIN_GROUP = "Platform admins"


class User(AbstractUser):
    """A person who signs in with an e-mail address. Platform admins hold the explicit
    `market.platform_admin` permission (through the "Platform admins" group, or as superusers);
    `is_staff` alone only opens /admin/ with whatever model permissions the account has.
    Cooperative staff are users with a `Membership`; buyers are everyone (a `BuyerProfile`
    carries company data for business buyers)."""

    username = None  # type: ignore[assignment]  # e-mail is the login: no username column
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="vi"
    )
    # Set when the person opened a link we mailed (verification or password reset): proof that
    # the address is theirs. Checkout asks for it above ORDER_VERIFIED_EMAIL_ABOVE_VND.
    email_verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # e-mail based manager

    class Meta(AbstractUser.Meta):
        permissions = [
            (
                "platform_admin",
                "Platform administrator: verification, every order, certifications",
            )
        ]

    def __str__(self):
        return self.email

    @property
    def is_platform_admin(self) -> bool:
        """An explicit grant, never bare is_staff: a support account made staff to read the
        Django admin must not verify cooperatives or move any order. The same answer as
        `has_perm(PLATFORM_ADMIN_PERMISSION)` (active; superuser, or the permission given to
        the user or one of their groups), asked as one EXISTS instead of loading every
        permission of the user and of their groups (two joins a request: the site header asks
        on every signed-in page). Kept on the instance, as has_perm keeps its sets."""
        if not self.is_active:
            return False
        if self.is_superuser:
            return True
        if hasattr(self, "_perm_cache"):  # has_perm already loaded this user's permissions
            return self.has_perm(PLATFORM_ADMIN_PERMISSION)
        kept = self.__dict__.get("_platform_admin")
        if kept is None:
            app_label, codename = PLATFORM_ADMIN_PERMISSION.split(".")
            granted = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).filter(models.Q(user=self) | models.Q(group__user=self))
            kept = self.__dict__["_platform_admin"] = self.pk is not None and granted.exists()
        return kept


class BuyerProfile(TimeStampedModel):
    class Kind(models.TextChoices):
        PERSON = "PERSON", _("Individual")
        COMPANY = "COMPANY", _("Company")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="buyer_profile")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSON)
    company_name = models.CharField(_("company name"), max_length=255, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=32, blank=True)
    country = models.CharField(
        _("country"), max_length=2, default="VN", help_text="ISO 3166-1 alpha-2"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="PERSON") | ~models.Q(company_name=""),
                name="buyer_company_has_name",
            )
        ]


# --- Vietnamese administrative units (2025 structure: 34 provinces, province → ward) ---


class Province(models.Model):
    code = models.PositiveSmallIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=100)
    codename = models.CharField(max_length=100, unique=True)
    division_type = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Ward(models.Model):
    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(max_length=100)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="wards")
    codename = models.CharField(max_length=120)
    division_type = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["province", "name"])]

    def __str__(self):
        return self.name


class FormerProvince(models.Model):
    """One of the 63 pre-2025 provinces, mapped to the province that absorbed it."""

    key = models.CharField(max_length=100, primary_key=True)  # folded, e.g. "tinhbacgiang"
    name = models.CharField(max_length=100)  # "Tỉnh Bắc Giang"
    short_name = models.CharField(max_length=100)  # "Bắc Giang"
    former_code = models.CharField(max_length=4)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="former_provinces"
    )

    def __str__(self):
        return f"{self.name} → {self.province}"


# --- Cooperatives and verification ---


class Cooperative(TimeStampedModel):
    class Kind(models.TextChoices):
        HTX = "HTX", _("Cooperative (HTX)")
        LHHTX = "LHHTX", _("Cooperative union (Liên hiệp HTX)")
        THT = "THT", _("Cooperative group (Tổ hợp tác)")

    class Sector(models.TextChoices):
        CROPS = "CROPS", _("Crops")
        LIVESTOCK = "LIVESTOCK", _("Livestock")
        FISHERY = "FISHERY", _("Fishery and aquaculture")
        FORESTRY = "FORESTRY", _("Forestry")
        PROCESSING = "PROCESSING", _("Food processing")
        HANDICRAFT = "HANDICRAFT", _("Handicrafts")
        SERVICES = "SERVICES", _("Services")
        OTHER = "OTHER", _("Other")

    AGRICULTURAL_SECTORS = {Sector.CROPS, Sector.LIVESTOCK, Sector.FISHERY, Sector.FORESTRY}

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        SUBMITTED = "SUBMITTED", _("Waiting for verification")
        VERIFIED = "VERIFIED", _("Verified")
        REJECTED = "REJECTED", _("Rejected")
        SUSPENDED = "SUSPENDED", _("Suspended")

    # Allowed verification moves, declared once. `cooperative_*` services perform them.
    ALLOWED_TRANSITIONS: ClassVar[dict[str, set[str]]] = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.VERIFIED, Status.REJECTED},
        Status.REJECTED: {Status.SUBMITTED},
        Status.VERIFIED: {Status.SUSPENDED},
        Status.SUSPENDED: {Status.VERIFIED},
    }

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.HTX)
    legal_name = models.CharField(_("legal name"), max_length=255)
    trading_name = models.CharField(_("trading name"), max_length=255, blank=True)
    slug = models.SlugField(max_length=255, unique=True)
    registration_number = models.CharField(_("registration number"), max_length=50, unique=True)
    tax_code = models.CharField(_("tax code (MST)"), max_length=14, unique=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="cooperatives")
    ward = models.ForeignKey(
        Ward, on_delete=models.PROTECT, related_name="cooperatives", null=True, blank=True
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    representative = models.CharField(_("legal representative"), max_length=150, blank=True)
    description_vi = models.TextField(_("description (Vietnamese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="cooperatives/logos/", blank=True)
    sector = models.CharField(
        _("main sector"), max_length=12, choices=Sector.choices, default=Sector.CROPS
    )
    is_agricultural = models.BooleanField(_("agricultural"), default=True)
    member_count = models.PositiveIntegerField(_("number of members"), null=True, blank=True)
    year_founded = models.PositiveSmallIntegerField(_("year founded"), null=True, blank=True)
    # Where buyers pay by bank transfer (VietQR): NAPAS bank BIN + account.
    bank_bin = models.CharField(_("bank BIN"), max_length=6, blank=True)
    bank_account = models.CharField(_("bank account number"), max_length=19, blank=True)
    bank_account_name = models.CharField(_("account holder"), max_length=100, blank=True)

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    status_reason = models.TextField(_("reason"), blank=True)
    # Bytes of images and files stored for this cooperative (market.cooperatives.quota keeps it).
    storage_used_bytes = models.PositiveBigIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    members = models.ManyToManyField(User, through="Membership", related_name="cooperatives")

    class Meta:
        ordering = ["legal_name"]
        indexes = [models.Index(fields=["status", "submitted_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year_founded__isnull=True) | models.Q(year_founded__gte=1900),
                name="coop_year_founded_sane",
            )
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.trading_name or self.legal_name

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED

    def can_move_to(self, status: str) -> bool:
        return status in self.ALLOWED_TRANSITIONS.get(self.status, set())


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        OWNER = "OWNER", _("Owner")
        MANAGER = "MANAGER", _("Manager")
        STAFF = "STAFF", _("Staff")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.STAFF)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "cooperative"], name="membership_unique")
        ]

    @property
    def can_manage(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.MANAGER)


class Invitation(models.Model):
    """An owner's invitation for an e-mail address to join a cooperative. The membership exists only
    once the person, signed in with that address, accepts: nobody is added without consent, and the
    inviter never learns whether the address has an account. Only a SHA-256 of the token is stored,
    so a database leak gives no working links."""

    VALID_FOR_DAYS = 7

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    role = models.CharField(
        max_length=8, choices=Membership.Role.choices, default=Membership.Role.STAFF
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative", "email"],
                name="invitation_unique_pending",
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.cooperative_id}"


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class CooperativeDocument(TimeStampedModel):
    """A private document (never under MEDIA_URL): only the cooperative's staff and admins
    can download it, through an authorised view."""

    class Kind(models.TextChoices):
        BUSINESS_REGISTRATION = "BUSINESS_REGISTRATION", _("Business registration certificate")
        CERTIFICATION = "CERTIFICATION", _("Certification")
        OTHER = "OTHER", _("Other")

    cooperative = models.ForeignKey(Cooperative, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    title = models.CharField(max_length=200, blank=True)
    file = models.FileField(storage=_private_storage, upload_to="coop-docs/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["created_at"]


class VerificationEvent(models.Model):
    """Audit row for every verification move (who, when, from, to, reason) and for every change
    of the account buyers pay into, which is part of the identity an admin checked."""

    class Kind(models.TextChoices):
        STATUS = "STATUS", _("Status change")
        PAYEE_CHANGE_REQUESTED = "PAYEE_REQUESTED", _("Bank account change requested")
        PAYEE_CHANGE_APPROVED = "PAYEE_APPROVED", _("Bank account change approved")
        PAYEE_CHANGE_REJECTED = "PAYEE_REJECTED", _("Bank account change rejected")

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="verification_events"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.STATUS)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    from_status = models.CharField(max_length=10, choices=Cooperative.Status.choices)
    to_status = models.CharField(max_length=10, choices=Cooperative.Status.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.cooperative_id}: {self.from_status} → {self.to_status}"


class OutboxEvent(models.Model):
    """A change that the search index must learn about, written in the same transaction as the
    change itself (see `market.shared.outbox`). `search` drains these rows; `market` and `catalog`
    never import `search`."""

    entity = models.CharField(max_length=40)  # "product" | "cooperative" | ...
    entity_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["entity", "entity_id"])]

    def __str__(self) -> str:
        return f"{self.entity} {self.entity_id}"


class PayeeChange(models.Model):
    """A requested change of the account buyers pay into (bank BIN, account, holder name).

    The cooperative keeps being paid into its verified account until a platform admin approves
    the change: a redirected payee is an identity change, like a new legal name. At most one
    change is pending per cooperative (a new request supersedes the old one)."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting for approval")
        APPROVED = "APPROVED", _("Approved")
        REJECTED = "REJECTED", _("Rejected")
        SUPERSEDED = "SUPERSEDED", _("Replaced by a newer request")

    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="payee_changes"
    )
    bank_bin = models.CharField(_("bank BIN"), max_length=6, blank=True)
    bank_account = models.CharField(_("bank account number"), max_length=19, blank=True)
    bank_account_name = models.CharField(_("account holder"), max_length=100, blank=True)
    # The holder name folded and compared with the legal name ("HTX" prefixes ignored); a change
    # that does not match needs the approving admin's explicit override.
    name_matches = models.BooleanField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name_override = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cooperative"],
                condition=models.Q(status="PENDING"),
                name="payee_change_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cooperative_id}: {self.bank_bin} {self.bank_account} ({self.status})"


class BackgroundTask(models.Model):
    """One piece of queued background work (`market.background.enqueue`), and the record of a
    task that failed for good. The row is written in the enqueuing transaction, so work is never
    lost between the commit and the broker: a row still QUEUED (the broker was down) is
    re-published by the periodic `background_flush`. Its id is the Celery task id.

    FAILED rows are what admins see and retry (admin: Background tasks). Periodic tasks from beat
    get a row only when they fail."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("queued (not yet on the broker)")
        SENT = "SENT", _("sent to the workers")
        RUNNING = "RUNNING", _("running")
        DONE = "DONE", _("done")
        FAILED = "FAILED", _("failed")

    id = models.UUIDField(primary_key=True)
    name = models.CharField(_("task"), max_length=120)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Steps of the task already done, kept across attempts (market.background.step_done): a batch
    # of mails retried after an SMTP error resumes with the first mail not sent.
    progress = models.PositiveIntegerField(_("steps done"), default=0)
    # What those steps are, when the task computes them (the mails a placement task composes):
    # stored with its first step, so a retry does the steps of that plan, not of one computed
    # again from rows changed since (a staff member gone would shift every mail after it).
    plan = models.JSONField(_("steps planned"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background task")
        verbose_name_plural = _("background tasks")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.name} {self.id} ({self.status})"
