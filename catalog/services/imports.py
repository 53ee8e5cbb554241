"""Spreadsheet import. Chosen semantics: ALL-OR-NOTHING PER FILE. Every row is checked first
(progress is committed as it goes, so the web page can poll it); if any row has an error the
job ends INVALID with a per-row report and nothing is stored. Otherwise every row is written in
one transaction: new SKUs are created as DRAFT, known SKUs of the cooperative are updated
(re-importing the same file changes nothing), one ProductEvent per changed product and one
outbox call with all changed ids.

The work runs off the request (the `catalog.import_job_run` background task, catalog/tasks.py):
an upload or an "apply" only stores a PENDING job and queues the task; a worker claims it (conditional UPDATE, so never two at once), checks the rows
and, if asked, applies them. A job whose worker died keeps a stale heartbeat and is run again
from the start, which is safe: the check stores nothing, the apply is one transaction (a crash
rolled it back) and idempotent by SKU."""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import ImportFileInvalid, ImportNotApplicable
from catalog.importing import reader
from catalog.importing.rows import Lookups, parse_row
from catalog.models import ImportJob, Product, ProductEvent, ProductFamily
from catalog.selectors import import_job_get_for_staff
from catalog.services.common import (
    Progress,
    check_staff,
    copy_shared_to_variants,
    jsonable,
    product_slug,
    upload_check,
)
from market.background import broker_configured, enqueue
from market.models import User
from market.shared.outbox import record_changes

logger = logging.getLogger("htx.catalog.imports")
PROGRESS_EVERY = 500  # rows between two progress/heartbeat writes
WRITE_BATCH = 500
MAX_ATTEMPTS = 5  # a job that keeps killing its worker is not retried for ever
STATE_FIELDS = ("unit", "min_order_qty", "order_step", "stock_qty", "price_vnd", "category_id")
MAX_ERRORS_KEPT = 1000
Status = ImportJob.Status


class _ClaimLost(Exception):
    """Another worker claimed the job (ours was presumed dead): stop without writing."""


def stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "CATALOG_IMPORT_STALE_SECONDS", 120))


def import_job_start(
    *,
    actor: User,
    cooperative_id: int,
    file_name: str,
    data: bytes,
    apply: bool = False,
    run_inline: bool = False,
    on_progress: Progress | None = None,
) -> ImportJob:
    """Store the file (private storage) as a PENDING job and check it row by row (a dry run) in
    the background after commit; with `apply`, import it too when no row is wrong. Only the
    header is read here. `run_inline` (the command) runs it now, reporting `on_progress(done,
    total)`. Returns the job as it stands. Raises NotFound (not staff), ImportFileInvalid
    (unreadable file or missing columns; the job is kept as FAILED), CooperativeNotSubmitted."""
    check_staff(actor, cooperative_id)
    upload_check(cooperative_id)
    job = ImportJob(
        cooperative_id=cooperative_id,
        created_by=actor,
        original_name=file_name[:255],
        file_format="",
        apply_requested=apply,
        applied_by=actor if apply else None,
        heartbeat_at=timezone.now(),
    )
    job.file.save(file_name.rsplit("/", 1)[-1][-100:] or "import", ContentFile(data), save=False)
    job.save()
    try:
        reader.check_header(data, job.original_name)
    except ImportFileInvalid as exc:
        job.status, job.errors = (
            Status.FAILED,
            [{"row": 1, "column": "", "message": str(exc.message)}],
        )
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "errors", "finished_at", "updated_at"])
        raise
    return _launch(job, run_inline, on_progress)


def import_job_apply(
    *,
    actor: User,
    cooperative_id: int,
    job_id: int,
    run_inline: bool = False,
    on_progress: Progress | None = None,
) -> ImportJob:
    """Queue the import of a job whose dry run was clean; the worker checks the stored file again
    (categories or other rows may have changed since) and stores it all-or-nothing. Raises
    NotFound, ImportNotApplicable (not VALID, e.g. a second click)."""
    job = import_job_get_for_staff(user=actor, cooperative_id=cooperative_id, job_id=job_id)
    queued = ImportJob.objects.filter(pk=job.pk, status=Status.VALID).update(
        status=Status.PENDING,
        apply_requested=True,
        applied_by=actor,
        heartbeat_at=timezone.now(),
        rows_done=0,
        updated_at=timezone.now(),
    )
    if not queued:
        raise ImportNotApplicable(fields={"status": job.status})
    job.refresh_from_db()
    return _launch(job, run_inline, on_progress)


def _launch(job: ImportJob, run_inline: bool, on_progress: Progress | None) -> ImportJob:
    """Run the job now (the command; CATALOG_IMPORT_RUNNER=inline in tests) or queue the
    background task, which runs after commit (a worker; in-process without a broker)."""
    if run_inline or getattr(settings, "CATALOG_IMPORT_RUNNER", "task") == "inline":
        import_job_run(job_id=job.pk, on_progress=on_progress)
        job.refresh_from_db()
    else:
        enqueue("catalog.import_job_run", job_id=job.pk)
    return job


def _claimable(include_failed: bool) -> Q:
    stale = Q(status__in=ImportJob.RUNNING, attempts__lt=MAX_ATTEMPTS) & (
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=timezone.now() - stale_after())
    )
    q = Q(status=Status.PENDING) | stale
    if include_failed:
        q |= Q(status=Status.FAILED, retryable=True, attempts__lt=MAX_ATTEMPTS)
    return q


def import_job_claim(*, job_id: int, include_failed: bool = False) -> ImportJob | None:
    """Take a PENDING job, a running one whose heartbeat is stale (its worker died) or, with
    `include_failed`, one that FAILED on an internal error. Returns the job (status VALIDATING,
    attempts + 1) or None when it is not claimable or another worker has it. Safe under
    concurrency: the row is locked with SKIP LOCKED (a job being applied holds its lock, so
    the claim does not wait) and the UPDATE re-checks the condition and the attempt number."""
    claimable = _claimable(include_failed)
    with transaction.atomic():
        seen = list(
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(claimable, pk=job_id)
            .values_list("attempts", flat=True)[:1]
        )
        if not seen:
            return None
        won = ImportJob.objects.filter(claimable, pk=job_id, attempts=seen[0]).update(
            status=Status.VALIDATING,
            attempts=seen[0] + 1,
            heartbeat_at=timezone.now(),
            rows_done=0,
            errors=[],
            retryable=False,
            finished_at=None,
        )
    return ImportJob.objects.get(pk=job_id) if won else None


def import_job_run(
    *, job_id: int, include_failed: bool = False, on_progress: Progress | None = None
) -> ImportJob | None:
    """Claim the job and run it to its end: VALID, INVALID, DONE or FAILED (an internal error is
    FAILED with `retryable`, and nothing stored). Returns None when it could not be claimed."""
    job = import_job_claim(job_id=job_id, include_failed=include_failed)
    if job is None:
        return None
    try:
        return _execute(job, on_progress)
    except _ClaimLost:
        return None
    except Exception:
        logger.exception("import job %s failed", job.pk)
        message = _("Import failed; nothing was stored. It will be retried.")
        _finish(
            job,
            Status.FAILED,
            errors=[{"row": 0, "column": "", "message": message}],
            retryable=True,
        )
        return job


def import_job_ids_to_resume(*, include_failed: bool = True) -> list[int]:
    """Jobs a worker should pick up (PENDING, stale running, retryable FAILED), oldest first."""
    return list(
        ImportJob.objects.filter(_claimable(include_failed))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def import_job_resume_if_stale(*, job: ImportJob) -> bool:
    """Called when a job page is polled, without a broker (`make run`): run a job nobody is
    running (its heartbeat is older than CATALOG_IMPORT_STALE_SECONDS, e.g. the server stopped
    mid-import). With Celery the periodic `catalog.import_jobs_resume` task does this instead (a
    page poll must not queue a task per poll). The claim keeps it to one worker."""
    if broker_configured() or not job.is_active:
        return False
    if job.heartbeat_at and job.heartbeat_at >= timezone.now() - stale_after():
        return False
    enqueue("catalog.import_job_run", job_id=job.pk)
    return True


def _execute(job: ImportJob, on_progress: Progress | None) -> ImportJob:
    try:
        with job.file.open("rb") as fh:
            rows, job.file_format, job.encoding = reader.read(fh.read(), job.original_name)
    except ImportFileInvalid as exc:
        return _finish(
            job, Status.FAILED, errors=[{"row": 1, "column": "", "message": str(exc.message)}]
        )
    job.rows_total = len(rows)
    _save(job, file_format=job.file_format, encoding=job.encoding, rows_total=job.rows_total)
    parsed, errors = _validate(job, rows, on_progress)
    if errors or not rows:
        errors = errors or [{"row": 1, "column": "", "message": _("The file has no product rows.")}]
        return _finish(job, Status.INVALID, errors=errors)
    if not job.apply_requested:
        return _finish(job, Status.VALID)
    _save(job, status=Status.APPLYING)
    job.rows_created, job.rows_updated = _apply(job, parsed)
    job.refresh_from_db()
    return job


def _save(job: ImportJob, **fields: Any) -> None:
    """Write as the current worker only: zero rows means another worker claimed the job."""
    fields["heartbeat_at"] = timezone.now()
    if not ImportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(**fields):
        raise _ClaimLost()
    for name, value in fields.items():
        setattr(job, name, value)


def _finish(
    job: ImportJob,
    status: str,
    errors: list[dict[str, Any]] | None = None,
    retryable: bool = False,
) -> ImportJob:
    fields: dict[str, Any] = {
        "status": status,
        "errors": (errors or [])[:MAX_ERRORS_KEPT],
        "finished_at": timezone.now(),
        "retryable": retryable,
        "rows_created": job.rows_created,
        "rows_updated": job.rows_updated,
    }
    if status in (Status.VALID, Status.DONE):
        fields["rows_done"] = job.rows_total
    _save(job, **fields)
    return job


def _existing(cooperative_id: int) -> dict[str, dict[str, Any]]:
    rows = Product.objects.filter(cooperative_id=cooperative_id).values("sku", *STATE_FIELDS)
    return {r.pop("sku"): r for r in rows}


class _Groups:
    """Rows grouped into families by "Mã nhóm sản phẩm" (a row without a key is a family of its
    own): two rows of a group, or a row and a variant already in that family, may not have the
    same option values; a known SKU stays in the family it is in."""

    def __init__(self, cooperative_id: int):
        self.sku_family = {}  # sku -> (family_id, family_key)
        self.family_options: dict[str, dict[str, str]] = {}  # family_key -> {options_key: sku}
        for sku, family_id, key, okey in Product.objects.filter(
            cooperative_id=cooperative_id
        ).values_list("sku", "family_id", "family__family_key", "options_key"):
            self.sku_family[sku] = (family_id, key)
            if key:
                self.family_options.setdefault(key, {})[okey] = sku
        self.seen: dict[str, dict[str, str]] = {}  # group -> {options_key: "row N"}

    def key(self, data: dict[str, Any]) -> str:
        return data.get("family_key") or f"\0{data.get('sku')}"

    def check(self, number: int, data: dict[str, Any]) -> list[dict[str, Any]]:
        sku, key = data.get("sku"), self.key(data)
        known = self.sku_family.get(str(sku))
        if known and data.get("family_key") and known[1] not in ("", data["family_key"]):
            return [
                _error(
                    "family_key",
                    _("SKU “%(sku)s” belongs to the group “%(key)s”.")
                    % {"sku": sku, "key": known[1]},
                )
            ]
        okey = data.get("options_key", "")
        group = self.seen.setdefault(key, {})
        other = group.get(okey) or self._in_family(key, okey, sku)
        group.setdefault(okey, _("row %(n)s") % {"n": number})
        if other is None:
            return []
        return [
            _error(
                "opt_pack",
                _(
                    "Same option values as %(other)s in this product group: give each variant its own Quy cách, Phân loại, Năm vụ or Mẫu."
                )
                % {"other": other},
            )
        ]

    def _in_family(self, key: str, okey: str, sku: Any) -> str | None:
        twin = self.family_options.get(key, {}).get(okey)
        return f"SKU {twin}" if twin and twin != sku else None

    def counts(self) -> tuple[int, int]:
        """(families in the file, of which new)."""
        new = 0
        for key in self.seen:
            if key.startswith("\0"):
                new += key[1:] not in self.sku_family
            else:
                new += key not in self.family_options
        return len(self.seen), new


def _error(field: str, message: str) -> dict[str, Any]:
    from catalog.importing.columns import HEADER_OF

    return {"column": HEADER_OF.get(field, field), "message": str(message)}


def _validate(
    job: ImportJob, rows: list[tuple[int, dict[str, Any]]], on_progress: Progress | None
) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    lookups, existing = Lookups(), _existing(job.cooperative_id)
    seen: dict[str | None, int] = {}
    groups = _Groups(job.cooperative_id)
    parsed, errors = [], []
    for done, (number, raw) in enumerate(rows, start=1):
        data, row_errors = parse_row(raw, lookups, existing.get(str(raw.get("sku") or "").strip()))
        sku = data.get("sku")
        if not row_errors and sku not in seen:  # a repeated SKU is reported as such below
            row_errors = groups.check(number, data)
        if sku and sku in seen:
            row_errors.append(
                {
                    "column": "Mã SKU",
                    "message": _("SKU “%(sku)s” already appears on row %(row)s.")
                    % {"sku": sku, "row": seen[sku]},
                }
            )
        seen.setdefault(sku, number)
        errors += [{"row": number, **e} for e in row_errors]
        parsed.append((number, data))
        if done % PROGRESS_EVERY == 0 or done == len(rows):
            _save(job, rows_done=done)  # its own short transaction (autocommit): the page sees it
            if on_progress:
                on_progress(done, len(rows))
    job.families_total, job.families_created = groups.counts()
    _save(job, families_total=job.families_total, families_created=job.families_created)
    return parsed, errors


@transaction.atomic
def _apply(job: ImportJob, parsed: list[tuple[int, dict[str, Any]]]) -> tuple[int, int]:
    # The job row stays locked until this transaction ends: a claim meanwhile skips it (SKIP
    # LOCKED), so however long the apply takes nobody else starts it. If the process dies here,
    # the transaction rolls back and the job is left APPLYING with a stale heartbeat.
    if (
        not ImportJob.objects.select_for_update()
        .filter(pk=job.pk, attempts=job.attempts, status=Status.APPLYING)
        .exists()
    ):
        raise _ClaimLost()
    # Lock the cooperative's families, then its products, each in pk order (parent before
    # child, as catalog.stock does) so a checkout taking stock right now cannot interleave with
    # the absolute stock values written here.
    by_pk = {
        f.pk: f
        for f in ProductFamily.objects.filter(cooperative_id=job.cooperative_id)
        .order_by("pk")
        .select_for_update()
    }
    current = {
        p.sku: p
        for p in Product.objects.filter(cooperative_id=job.cooperative_id)
        .order_by("pk")
        .select_for_update()
    }
    actor_id = job.applied_by_id or job.created_by_id
    groups: dict[str, list[dict[str, Any]]] = {}
    for _number, data in parsed:
        groups.setdefault(data.get("family_key") or f"\0{data['sku']}", []).append(data)
    families, touched = _families_for(job, groups, current, by_pk)
    new, dirty, events = [], [], []
    fields: set[str] = set()
    for key, rows in groups.items():
        family = families[key]
        shared = {f: rows[0][f] for f in ProductFamily.SHARED_FIELDS if f in rows[0]}
        for data in rows:
            data = {k: v for k, v in data.items() if k != "family_key"} | shared
            product = current.get(data["sku"])
            if product is None:
                new.append(
                    Product(
                        cooperative_id=job.cooperative_id,
                        family=family,
                        status=Product.Status.DRAFT,
                        **{**family.shared_values(), "slug": family.slug, **data},
                    )
                )
                continue
            diff = _update(product, data, fields)
            if diff:
                dirty.append(product)
                events.append(
                    ProductEvent(
                        product=product,
                        actor_id=actor_id,
                        action=ProductEvent.Action.IMPORTED,
                        changes={"import_job": job.pk, **diff},
                    )
                )
    for i in range(0, len(new), WRITE_BATCH):
        _write_batch(new[i : i + WRITE_BATCH])
    if dirty:
        Product.objects.bulk_update(dirty, sorted(fields), batch_size=WRITE_BATCH)
    events += [
        ProductEvent(
            product=p,
            actor_id=actor_id,
            action=ProductEvent.Action.IMPORTED,
            changes={"import_job": job.pk, "created": True},
        )
        for p in new
    ]
    ProductEvent.objects.bulk_create(events, batch_size=1000)
    record_changes(entity="product", ids=[p.pk for p in new + dirty] + touched)
    job.rows_created, job.rows_updated = len(new), len(dirty)
    _finish(job, Status.DONE)  # in this transaction: DONE exactly when the products are stored
    return len(new), len(dirty)


def _families_for(
    job: ImportJob, groups: dict[str, Any], current: dict[str, Any], by_pk: dict[int, Any]
) -> tuple[dict[str, ProductFamily], list[int]]:
    """The family of each group of rows: the one with that key, else the family of a known SKU
    of the group (which takes the key), else a new family (shared fields from the group's first
    row). Shared fields that a group changes are written on the family and all its variants
    (their ids are returned for the import's one outbox call)."""
    by_key = {f.family_key: f for f in by_pk.values() if f.family_key}
    out, fresh, touched = {}, [], []
    for key, rows in groups.items():
        keyed = not key.startswith("\0")
        known = next((current[r["sku"]] for r in rows if r["sku"] in current), None)
        family = (by_key.get(key) if keyed else None) or (by_pk[known.family_id] if known else None)
        shared = {f: rows[0][f] for f in ProductFamily.SHARED_FIELDS if f in rows[0]}
        if family is None:
            family = ProductFamily(
                cooperative_id=job.cooperative_id,
                family_key=key if keyed else "",
                slug=product_slug(rows[0].get("name_vi", "")),
                **shared,
            )
            fresh.append(family)
        else:
            touched += _family_apply(family, shared, key if keyed else None)
        out[key] = family
    ProductFamily.objects.bulk_create(fresh)
    return out, touched


def _family_apply(family: ProductFamily, shared: dict[str, Any], key: str | None) -> list[int]:
    changes = {f: v for f, v in shared.items() if getattr(family, f) != v}
    if key and family.family_key != key:
        family.family_key = key
        family.save(update_fields=["family_key", "updated_at"])
    if changes:
        slug = product_slug(changes["name_vi"]) if "name_vi" in changes else None
        return copy_shared_to_variants(family, changes, slug=slug, record=False)
    return []


def _update(product: Product, data: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """Set the changed fields on `product`; returns {field: [old, new]} and adds to `fields`."""
    diff = {
        f: [jsonable(getattr(product, f)), jsonable(v)]
        for f, v in data.items()
        if getattr(product, f) != v
    }
    if not diff:
        return diff
    for f in diff:
        setattr(product, f, data[f])
    if "name_vi" in diff:
        product.slug = product_slug(product.name_vi)
        fields.add("slug")
    product.updated_at = timezone.now()
    fields |= set(diff) | {"updated_at"}
    return diff


def _write_batch(products: list[Product]) -> None:
    """Insert new products (a new product without a family gets a one-variant family). The
    tests inject a crash here (the database write is the boundary a dying process would cut)
    to prove a half-written import rolls back."""
    ProductFamily.bulk_for(products)
    Product.objects.bulk_create(products)
