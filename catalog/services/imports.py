"""Spreadsheet import. Chosen semantics: ALL-OR-NOTHING PER FILE. Every row is checked first
(progress is committed as it goes, so the web page can poll it); if any row has an error the
job ends INVALID with a per-row report and nothing is stored. Otherwise every row is written in
one transaction: new SKUs are created as DRAFT, known SKUs of the cooperative are updated
(re-importing the same file changes nothing), one ProductEvent per changed product and one
outbox call with all changed ids."""
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.errors import ImportFileInvalid, ImportNotApplicable
from catalog.importing import reader
from catalog.importing.rows import Lookups, parse_row
from catalog.models import ImportJob, Product, ProductEvent
from catalog.selectors import import_job_get_for_staff
from catalog.services.common import check_staff, jsonable, product_slug
from market.outbox import record_changes

PROGRESS_EVERY = 500
STATE_FIELDS = ("unit", "min_order_qty", "order_step", "stock_qty", "price_vnd", "category_id")
MAX_ERRORS_KEPT = 1000


def import_job_start(*, actor, cooperative_id: int, file_name: str, data: bytes, apply: bool = False,
                     on_progress=None) -> ImportJob:
    """Check a CSV/XLSX file row by row (a dry run) and, when `apply` and no row is wrong, import
    it. Returns the job (status VALID, INVALID, DONE or FAILED). Raises NotFound (not staff),
    ImportFileInvalid (unreadable file or missing columns; the job is kept as FAILED)."""
    check_staff(actor, cooperative_id)
    job = ImportJob(cooperative_id=cooperative_id, created_by=actor, original_name=file_name[:255], file_format="")
    job.file.save(file_name.rsplit("/", 1)[-1][-100:] or "import", ContentFile(data), save=False)
    job.save()
    return _run(job, actor, data, apply, on_progress)


def import_job_apply(*, actor, cooperative_id: int, job_id: int, on_progress=None) -> ImportJob:
    """Apply a job whose dry run was clean. The stored file is checked again (categories or other
    rows may have changed since). Raises NotFound, ImportNotApplicable."""
    job = import_job_get_for_staff(user=actor, cooperative_id=cooperative_id, job_id=job_id)
    if job.status != ImportJob.Status.VALID:
        raise ImportNotApplicable(fields={"status": job.status})
    with job.file.open("rb") as fh:
        data = fh.read()
    return _run(job, actor, data, True, on_progress)


def _run(job: ImportJob, actor, data: bytes, apply: bool, on_progress) -> ImportJob:
    try:
        rows, job.file_format, job.encoding = reader.read(data, job.original_name)
    except ImportFileInvalid as exc:
        _finish(job, ImportJob.Status.FAILED, errors=[{"row": 1, "column": "", "message": str(exc.message)}])
        raise
    job.rows_total, job.rows_done, job.status = len(rows), 0, ImportJob.Status.VALIDATING
    job.save(update_fields=["file_format", "encoding", "rows_total", "rows_done", "status", "updated_at"])
    parsed, errors = _validate(job, rows, on_progress)
    if errors or not rows:
        errors = errors or [{"row": 1, "column": "", "message": _("The file has no product rows.")}]
        return _finish(job, ImportJob.Status.INVALID, errors=errors)
    if not apply:
        return _finish(job, ImportJob.Status.VALID)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.APPLYING)
    try:
        created, updated = _apply(job, actor, parsed)
    except Exception:
        _finish(job, ImportJob.Status.FAILED,
                errors=[{"row": 0, "column": "", "message": _("Import failed; nothing was stored.")}])
        raise
    job.rows_created, job.rows_updated = created, updated
    return _finish(job, ImportJob.Status.DONE)


def _finish(job: ImportJob, status: str, errors=None) -> ImportJob:
    job.status, job.errors, job.finished_at = status, (errors or [])[:MAX_ERRORS_KEPT], timezone.now()
    if status in (ImportJob.Status.VALID, ImportJob.Status.DONE):
        job.rows_done = job.rows_total
    job.save()
    return job


def _existing(cooperative_id: int) -> dict[str, dict]:
    rows = Product.objects.filter(cooperative_id=cooperative_id).values("sku", *STATE_FIELDS)
    return {r.pop("sku"): r for r in rows}


def _validate(job: ImportJob, rows, on_progress) -> tuple[list[tuple[int, dict]], list[dict]]:
    lookups, existing, seen = Lookups(), _existing(job.cooperative_id), {}
    parsed, errors = [], []
    for done, (number, raw) in enumerate(rows, start=1):
        data, row_errors = parse_row(raw, lookups, existing.get(str(raw.get("sku") or "").strip()))
        sku = data.get("sku")
        if sku and sku in seen:
            row_errors.append({"column": "Mã SKU", "message": _("SKU “%(sku)s” already appears on row %(row)s.")
                               % {"sku": sku, "row": seen[sku]}})
        seen.setdefault(sku, number)
        errors += [{"row": number, **e} for e in row_errors]
        parsed.append((number, data))
        if done % PROGRESS_EVERY == 0 or done == len(rows):
            job.rows_done = done
            ImportJob.objects.filter(pk=job.pk).update(rows_done=done)
            if on_progress:
                on_progress(done, len(rows))
    return parsed, errors


@transaction.atomic
def _apply(job: ImportJob, actor, parsed: list[tuple[int, dict]]) -> tuple[int, int]:
    # Lock the cooperative's products in pk order (as catalog.stock does) so a checkout that is
    # taking stock right now cannot interleave with the absolute stock values written here.
    current = {p.sku: p for p in Product.objects.filter(cooperative_id=job.cooperative_id)
               .order_by("pk").select_for_update()}
    new, dirty, events, fields = [], [], [], set()
    for _number, data in parsed:
        product = current.get(data["sku"])
        if product is None:
            product = Product(cooperative_id=job.cooperative_id, status=Product.Status.DRAFT,
                              slug=product_slug(data["name_vi"]), **data)
            new.append(product)
            continue
        diff = {f: [jsonable(getattr(product, f)), jsonable(v)] for f, v in data.items() if getattr(product, f) != v}
        if not diff:
            continue
        for f in diff:
            setattr(product, f, data[f])
        if "name_vi" in diff:
            product.slug, fields = product_slug(product.name_vi), fields | {"slug"}
        product.updated_at = timezone.now()
        fields |= set(diff) | {"updated_at"}
        dirty.append(product)
        events.append(ProductEvent(product=product, actor=actor, action="imported",
                                   changes={"import_job": job.pk, **diff}))
    Product.objects.bulk_create(new, batch_size=500)
    if dirty:
        Product.objects.bulk_update(dirty, sorted(fields), batch_size=500)
    events += [ProductEvent(product=p, actor=actor, action="imported", changes={"import_job": job.pk, "created": True})
               for p in new]
    ProductEvent.objects.bulk_create(events, batch_size=1000)
    record_changes(entity="product", ids=[p.pk for p in new + dirty])
    return len(new), len(dirty)
