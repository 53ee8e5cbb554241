"""Cooperative staff pages: onboarding checklist and verification, profile and documents,
products (create, edit, photos, stock, publish), spreadsheet import. The order desk and its
printouts are in `desk.py`.

Every page first fetches the cooperative through catalog's staff selector: a stranger (buyer,
staff of another cooperative) gets the same 404 as for a missing cooperative."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import selectors as catalog_selectors
from catalog.models import Category
from catalog.services import certifications as certification_services
from catalog.services import images as image_services
from catalog.services import imports as import_services
from catalog.services import products as product_services
from frontend import reads
from frontend.forms import (
    CertificationClaimForm,
    CoopProfileForm,
    DocumentForm,
    ImageForm,
    ImageMoveForm,
    ImportForm,
    ProductForm,
    StockForm,
    add_domain_errors,
)
from frontend.views.common import SignedInRequest, has_nul, run_one
from market.cooperatives import selectors as market_selectors
from market.cooperatives import services as market_services
from market.errors import DomainError, NotFound
from market.models import Cooperative


def coop_staff(view):
    """Login required, then the cooperative must be the user's own (else 404)."""

    @login_required
    @wraps(view)
    def wrapper(request, coop_id, *args, **kwargs):
        if market_selectors.as_id(coop_id) is None or has_nul(
            kwargs
        ):  # beyond any integer column, or NUL
            raise Http404()
        try:
            coop = catalog_selectors.cooperative_get_for_member(
                user=request.user, cooperative_id=int(coop_id)
            )
            return view(request, coop, *args, **kwargs)
        except NotFound:
            raise Http404() from None

    return wrapper


def _done(request, message, to, *args):
    messages.success(request, message)
    return redirect(to, *args)


@login_required
@require_GET
def coop_home(request: SignedInRequest) -> HttpResponse:
    coops = list(market_selectors.cooperative_list_for_user(user=request.user))
    if len(coops) == 1:
        return redirect("frontend:coop_dashboard", coops[0].pk)
    return render(request, "frontend/coop/choose.html", {"coops": coops})


@require_GET
@coop_staff
def dashboard(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    return render(
        request, "frontend/coop/dashboard.html", reads.onboarding(user=request.user, coop=coop)
    )


@require_POST
@coop_staff
def submit(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    run_one(
        request,
        lambda: market_services.cooperative_submit(actor=request.user, cooperative_id=coop.pk),
        _("Sent for verification. An administrator will check your documents."),
    )
    return redirect("frontend:coop_dashboard", coop.pk)


@require_http_methods(["GET", "POST"])
@coop_staff
def profile(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    initial = {name: getattr(coop, name) for name in CoopProfileForm.base_fields}
    form = CoopProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}
        try:
            market_services.cooperative_update(
                actor=request.user, cooperative_id=coop.pk, data=changed
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return _done(request, _("Profile saved."), "frontend:coop_dashboard", coop.pk)
    return render(request, "frontend/coop/profile.html", {"coop": coop, "form": form})


@require_http_methods(["GET", "POST"])
@coop_staff
def documents(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            market_services.cooperative_document_add(
                actor=request.user,
                cooperative_id=coop.pk,
                kind=d["kind"],
                file=d["file"],
                title=d["title"],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return _done(request, _("Document uploaded."), "frontend:coop_documents", coop.pk)
    docs = market_selectors.document_list_for_user(user=request.user, cooperative_id=coop.pk)
    return render(
        request, "frontend/coop/documents.html", {"coop": coop, "form": form, "documents": docs}
    )


# --- Products ---


@require_GET
@coop_staff
def product_list(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    products = catalog_selectors.product_list_for_staff(
        user=request.user, cooperative_id=coop.pk
    ).order_by("name_vi")
    return render(request, "frontend/coop/product_list.html", {"coop": coop, "products": products})


def _product_form(data=None, initial=None, with_stock=True):
    return ProductForm(
        data,
        initial=initial,
        categories=Category.objects.all(),
        provinces=market_selectors.province_list_for_picker(),
        with_stock=with_stock,
    )


@require_http_methods(["GET", "POST"])
@coop_staff
def product_create(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    form = _product_form(
        request.POST or None,
        initial={
            "min_order_qty": 1,
            "order_step": 1,
            "lead_time_days": 2,
            "origin_province_id": coop.province_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            p = product_services.product_create(
                actor=request.user, cooperative_id=coop.pk, data=form.cleaned_data
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return _done(
                request,
                _("Product created as a draft. Add photos, then publish."),
                "frontend:coop_product_edit",
                coop.pk,
                p.pk,
            )
    return render(
        request, "frontend/coop/product_form.html", {"coop": coop, "form": form, "product": None}
    )


@require_http_methods(["GET", "POST"])
@coop_staff
def product_edit(request: SignedInRequest, coop: Cooperative, product_id: int) -> HttpResponse:
    product = _own_product(request, coop, product_id)
    initial = {name: getattr(product, name) for name in ProductForm.base_fields}
    form = _product_form(request.POST or None, initial=initial, with_stock=False)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.changed_data}
        try:
            product_services.product_update(
                actor=request.user, cooperative_id=coop.pk, product_id=product.pk, data=data
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return _done(
                request, _("Product saved."), "frontend:coop_product_edit", coop.pk, product.pk
            )
    from frontend.views.variants import family_context  # the family's variants on this page

    return render(
        request,
        "frontend/coop/product_form.html",
        {
            **family_context(user=request.user, coop=coop, product=product),
            "coop": coop,
            "form": form,
            "product": product,
            "image_form": ImageForm(),
            "stock_form": StockForm(initial={"quantity": product.stock_qty}),
            "images": list(product.family.images.order_by("position", "id")),
        },
    )


def _own_product(request, coop, product_id):
    return catalog_selectors.product_get_for_staff(
        user=request.user, cooperative_id=coop.pk, product_id=product_id
    )


def _product_action(request, coop, product_id, call, ok_message):
    """Run one catalog service for a product form post; show its error or the success message."""
    run_one(request, call, ok_message, describe=_with_field_messages)
    return redirect("frontend:coop_product_edit", coop.pk, product_id)


def _with_field_messages(exc) -> str:
    return "; ".join([str(exc.message), *_field_messages(exc)])


def _field_messages(exc) -> list[str]:
    """The domain's messages in words ("Add at least one image."), never its field keys."""
    out = []
    for msgs in (exc.fields or {}).values():
        for m in msgs if isinstance(msgs, (list, tuple)) else [msgs]:
            out.append(str(m))
    return out[:5]


@require_POST
@coop_staff
def product_publish(request: SignedInRequest, coop: Cooperative, product_id: int) -> HttpResponse:
    return _product_action(
        request,
        coop,
        product_id,
        lambda: product_services.product_publish(
            actor=request.user, cooperative_id=coop.pk, product_id=product_id
        ),
        _("Published: buyers can find it now."),
    )


@require_POST
@coop_staff
def product_stock(request: SignedInRequest, coop: Cooperative, product_id: int) -> HttpResponse:
    form = StockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid quantity."))
        return redirect("frontend:coop_product_edit", coop.pk, product_id)
    return _product_action(
        request,
        coop,
        product_id,
        lambda: product_services.product_stock_adjust(
            actor=request.user,
            cooperative_id=coop.pk,
            product_id=product_id,
            mode="set",
            quantity=form.cleaned_data["quantity"],
            reason="web",
        ),
        _("Stock saved."),
    )


@require_POST
@coop_staff
def product_image_add(request: SignedInRequest, coop: Cooperative, product_id: int) -> HttpResponse:
    form = ImageForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a photo to upload."))
        return redirect("frontend:coop_product_edit", coop.pk, product_id)
    added = []
    run_one(
        request,
        lambda: added.append(
            image_services.product_image_add(
                actor=request.user,
                cooperative_id=coop.pk,
                product_id=product_id,
                data=form.cleaned_data["image"].read(),
                alt_vi=form.cleaned_data["alt_vi"],
            )
        ),
        describe=_with_field_messages,
    )
    if added:  # with a worker the photo is still being processed; without one it is done
        image = added[0]
        if image.status == image.Status.READY:
            messages.success(request, _("Photo added."))
        elif image.status == image.Status.PENDING:
            messages.success(
                request, _("Photo uploaded. It appears here as soon as it has been processed.")
            )
        else:
            messages.error(request, image.failure_message)
    return redirect("frontend:coop_product_edit", coop.pk, product_id)


@require_POST
@coop_staff
def product_image_delete(
    request: SignedInRequest, coop: Cooperative, product_id: int, image_id: int
) -> HttpResponse:
    return _product_action(
        request,
        coop,
        product_id,
        lambda: image_services.product_image_delete(
            actor=request.user, cooperative_id=coop.pk, product_id=product_id, image_id=image_id
        ),
        _("Photo deleted."),
    )


@require_POST
@coop_staff
def product_image_move(
    request: SignedInRequest, coop: Cooperative, product_id: int
) -> HttpResponse:
    """Move one photo up or down (buttons, so it works without drag and drop or JS)."""
    form = ImageMoveForm(request.POST)
    ids = list(
        _own_product(request, coop, product_id)
        .family.images.order_by("position", "id")
        .values_list("pk", flat=True)
    )
    if not form.is_valid() or form.cleaned_data["image"] not in ids:
        messages.error(request, _("This photo cannot be moved."))
        return redirect("frontend:coop_product_edit", coop.pk, product_id)
    i = ids.index(form.cleaned_data["image"])
    j = max(0, i - 1) if form.cleaned_data["direction"] == "up" else min(len(ids) - 1, i + 1)
    ids[i], ids[j] = ids[j], ids[i]
    return _product_action(
        request,
        coop,
        product_id,
        lambda: image_services.product_image_reorder(
            actor=request.user, cooperative_id=coop.pk, product_id=product_id, image_ids=ids
        ),
        _("Photo order saved."),
    )


@require_http_methods(["GET", "POST"])
@coop_staff
def certifications(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    products = catalog_selectors.product_list_for_staff(
        user=request.user, cooperative_id=coop.pk
    ).order_by("name_vi")
    form = CertificationClaimForm(request.POST or None, request.FILES or None, products=products)
    if request.method == "POST" and form.is_valid():
        d = {**form.cleaned_data, "document": form.cleaned_data["document"].read()}
        try:
            certification_services.certification_claim(
                actor=request.user, cooperative_id=coop.pk, **d
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return _done(
                request,
                _("Certification sent: an administrator will check the document."),
                "frontend:coop_certifications",
                coop.pk,
            )
    certs = catalog_selectors.certification_list_for_staff(
        user=request.user, cooperative_id=coop.pk
    )
    return render(
        request,
        "frontend/coop/certifications.html",
        {"coop": coop, "form": form, "certifications": certs.order_by("-created_at")},
    )


# --- Import ---


@require_http_methods(["GET", "POST"])
@coop_staff
def import_start(request: SignedInRequest, coop: Cooperative) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_services.import_job_start(
                actor=request.user,
                cooperative_id=coop.pk,
                file_name=upload.name,
                data=upload.read(),
                apply=False,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return redirect("frontend:coop_import_job", coop.pk, job.pk)
    return render(
        request,
        "frontend/coop/import.html",
        {"coop": coop, "form": form, "columns": reads.import_columns()},
    )


@require_GET
@coop_staff
def import_job(request: SignedInRequest, coop: Cooperative, job_id: int) -> HttpResponse:
    job = catalog_selectors.import_job_get_for_staff(
        user=request.user, cooperative_id=coop.pk, job_id=job_id
    )
    if import_services.import_job_resume_if_stale(job=job):  # its worker died: start another one
        job.refresh_from_db()
    template = (
        "frontend/coop/_import_progress.html" if request.htmx else "frontend/coop/import_job.html"
    )
    return render(request, template, {"coop": coop, "job": job})


@require_POST
@coop_staff
def import_apply(request: SignedInRequest, coop: Cooperative, job_id: int) -> HttpResponse:
    run_one(
        request,
        lambda: import_services.import_job_apply(
            actor=request.user, cooperative_id=coop.pk, job_id=job_id
        ),
    )
    return redirect("frontend:coop_import_job", coop.pk, job_id)
