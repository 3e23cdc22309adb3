"""The workspace pages where members propose and change their organizations' showcase entries (公益项目展示).
Views validate and call portal.showcase; every entry is fetched through the member's scope, so another
organization's entry id is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import DomainError

from . import showcase as services
from .showcase_forms import OutcomeFormSet, ShowcaseEntryForm, outcome_initial


@login_required
def index(request):
    entries = services.attach_statuses(list(services.entries_for(request.user)))
    return render(request, "portal/showcase/index.html", {
        "entries": entries, "organizations": list(services.member_organizations(request.user)),
    })


def _render_form(request, *, organization, page=None, draft=None, form, formset, status=200):
    return render(request, "portal/showcase/form.html", {
        "organization": organization, "page": None, "entry": page, "draft": draft, "form": form, "formset": formset,
        "entry_status": services.status_of(page) if page is not None else None,
        "photos": list(draft.photos.all()) if draft is not None else [],
    }, status=status)


def _bound(request, organization, photos=()):
    form = ShowcaseEntryForm(request.POST, request.FILES, organization=organization, photos=photos)
    formset = OutcomeFormSet(request.POST, prefix="outcomes")
    return form, formset


def _changes(form, formset) -> dict:
    return {
        "data": form.page_data(), "outcomes": formset.outcomes(), "photo": form.cleaned_data.get("photo"),
        "photo_caption": form.cleaned_data.get("photo_caption", ""),
    }


def _save(request, form, formset, save, saved_message):
    """Validate, then ``save(changes)`` through the service (it returns the entry); on success submit it for review
    when asked or go back to its form with ``saved_message``. None when the form is shown again with its errors."""
    if not (form.is_valid() and formset.is_valid()):
        return None
    try:
        page = save(_changes(form, formset))
    except DomainError as error:
        form.add_error(None, error.message)
        return None
    if "submit" in request.POST:
        return _submit(request, page)
    messages.success(request, saved_message)
    return redirect("showcase:edit", pk=page.pk)


@login_required
def new(request, organization_id: int):
    organization = get_object_or_404(services.member_organizations(request.user), pk=organization_id)
    if request.method == "POST":
        form, formset = _bound(request, organization)
        saved = _save(request, form, formset, lambda changes: services.propose(
            organization, acting_user=request.user, **changes,
        ), _("草稿已保存。核对无误后请点击“提交审核”，审核通过后才会公开。"))
        if saved is not None:
            return saved
        return _render_form(request, organization=organization, form=form, formset=formset, status=400)
    form = ShowcaseEntryForm(organization=organization)
    formset = OutcomeFormSet(prefix="outcomes")
    return _render_form(request, organization=organization, form=form, formset=formset)


def _entry_or_404(request, pk: int):
    return get_object_or_404(services.entries_for(request.user), pk=pk)


@login_required
def edit(request, pk: int):
    page = _entry_or_404(request, pk)
    draft = page.get_latest_revision_as_object()
    photos = list(draft.photos.all())
    if request.method == "POST":
        form, formset = _bound(request, page.organization, photos)

        def save(changes):
            remove = form.cleaned_data.get("remove_photos") or ()
            services.save_changes(page, acting_user=request.user, remove_photos=remove, **changes)
            return page

        saved = _save(request, form, formset, save, _("修改已保存（尚未公开）。核对无误后请点击“提交审核”。"))
        if saved is not None:
            return saved
        return _render_form(request, organization=page.organization, page=page, draft=draft, form=form,
                            formset=formset, status=400)
    initial = {name: getattr(draft, name) for name in services.EDITABLE_FIELDS}
    initial["body"] = services.body_text(draft)
    form = ShowcaseEntryForm(initial=initial, organization=page.organization, photos=photos)
    formset = OutcomeFormSet(prefix="outcomes", initial=outcome_initial(draft))
    return _render_form(request, organization=page.organization, page=page, draft=draft, form=form, formset=formset)


def _submit(request, page):
    try:
        services.submit(page, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已提交审核。辖区民政部门审核通过后即公开展示。"))
    return redirect("showcase:edit", pk=page.pk)


@login_required
@require_POST
def submit(request, pk: int):
    return _submit(request, _entry_or_404(request, pk))


@login_required
@require_POST
def withdraw(request, pk: int):
    page = _entry_or_404(request, pk)
    try:
        services.withdraw(page, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已撤回审核，可以继续修改后重新提交。"))
    return redirect("showcase:edit", pk=page.pk)
