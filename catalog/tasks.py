"""Background tasks of the catalog: import jobs, image variants, and the daily certification
expiry."""

import logging

from celery import shared_task
from django.db.models import Q
from django.utils import timezone, translation

from market.background import HtxTask

log = logging.getLogger("htx.catalog")


@shared_task(base=HtxTask, name="catalog.import_job_run", max_retries=3)
def import_job_run(*, job_id: int, include_failed: bool = False) -> str:
    """Run one import job to its end. Idempotent: the job is claimed with a conditional UPDATE (a
    second delivery finds it taken or finished and does nothing), the check stores nothing and
    the apply is one transaction, idempotent by SKU. A job whose worker was killed is resumed
    by `import_jobs_resume` once its heartbeat is stale."""
    from catalog.services.imports import import_job_run as run

    with translation.override("vi"):  # row messages in Vietnamese, as the web import writes them
        job = run(job_id=job_id, include_failed=include_failed)
    return job.status if job else "SKIPPED"


@shared_task(base=HtxTask, name="catalog.product_image_process")
def product_image_process(*, image_id: int) -> str:
    """Decode an uploaded image, write its variants and mark it READY (or FAILED with the reason
    the cooperative sees). Idempotent: a finished or deleted image is left alone, and the files
    of a re-run replace those of a run that died half-way (catalog.services.images)."""
    from catalog.services.images import product_image_process as process

    return process(image_id=image_id)


@shared_task(base=HtxTask, name="catalog.import_jobs_resume", max_retries=0)
def import_jobs_resume() -> int:
    """Every minute from beat: queue the jobs nobody runs, i.e. whose heartbeat is older than
    CATALOG_IMPORT_STALE_SECONDS: running ones whose worker died, PENDING ones whose task was
    lost, and retryable FAILED ones (at most 5 attempts each)."""
    from catalog.models import ImportJob
    from catalog.services.imports import import_job_ids_to_resume, stale_after
    from market.background import enqueue

    ids = import_job_ids_to_resume(include_failed=True)
    stale = ImportJob.objects.filter(pk__in=ids).filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=timezone.now() - stale_after())
    )
    queued = list(stale.order_by("pk").values_list("pk", flat=True))
    for job_id in queued:
        enqueue(import_job_run, job_id=job_id, include_failed=True)
    return len(queued)


@shared_task(base=HtxTask, name="catalog.certifications_expire")
def certifications_expire() -> int:
    """Daily: hide certifications past their end date and tell each cooperative once."""
    from catalog.services import certifications_expire as expire

    return expire(today=timezone.localdate())
