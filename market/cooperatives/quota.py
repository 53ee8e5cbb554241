"""Who may upload, and how much each cooperative may store.

Uploads cost CPU (decoding), memory and storage that someone pays for; a throwaway account could
register a cooperative and upload without end. So:

- product images, logos, certification scans and imports are accepted only from cooperatives that
  have been submitted for verification or are verified (a DRAFT may still upload the documents
  it needs to submit; they count against its quota);
- every stored byte counts against `COOPERATIVE_STORAGE_QUOTA_MB` (default 500 MB, about 1,500
  product photos with their sizes); `Cooperative.storage_used_bytes` is changed with one
  conditional UPDATE, so concurrent uploads can never pass the quota together.
"""

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from market.errors import Conflict
from market.models import Cooperative

UPLOAD_STATUSES = {Cooperative.Status.SUBMITTED, Cooperative.Status.VERIFIED}


class CooperativeNotSubmitted(Conflict):
    code = "cooperative_not_submitted"


class StorageQuotaExceeded(Conflict):
    code = "storage_quota_exceeded"


def quota_bytes() -> int:
    return settings.COOPERATIVE_STORAGE_QUOTA_MB * 1024 * 1024


def upload_allowed_check(cooperative: Cooperative) -> None:
    """Raise CooperativeNotSubmitted unless the cooperative was submitted or is verified."""
    if cooperative.status not in UPLOAD_STATUSES:
        raise CooperativeNotSubmitted(
            _("Submit the cooperative for verification before uploading images or files.")
        )


def storage_check(cooperative: Cooperative) -> None:
    """Cheap early refusal (before decoding anything) when the quota is already used up."""
    if cooperative.storage_used_bytes >= quota_bytes():
        raise _exceeded()


def storage_reserve(*, cooperative_id: int, nbytes: int) -> None:
    """Count `nbytes` (negative frees space) against the quota, or raise StorageQuotaExceeded."""
    if nbytes <= 0:
        storage_release(cooperative_id=cooperative_id, nbytes=-nbytes)
        return
    updated = Cooperative.objects.filter(
        pk=cooperative_id, storage_used_bytes__lte=quota_bytes() - nbytes
    ).update(storage_used_bytes=F("storage_used_bytes") + nbytes)
    if not updated:
        raise _exceeded()


def storage_release(*, cooperative_id: int, nbytes: int) -> None:
    if nbytes > 0:
        Cooperative.objects.filter(pk=cooperative_id).update(
            storage_used_bytes=Greatest(F("storage_used_bytes") - nbytes, 0)
        )


def _exceeded() -> StorageQuotaExceeded:
    return StorageQuotaExceeded(
        _("The cooperative's storage (%(mb)s MB) is full. Delete old images or files first.")
        % {"mb": settings.COOPERATIVE_STORAGE_QUOTA_MB}
    )
