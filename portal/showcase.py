"""Showcase entries proposed by organizations (issue 8 item 2): the state changes behind the workspace pages.

A member of an organization proposes a 公益 project for the 筑城公益汇 showcase. Every save is a new page *revision*
owned by the member and never touches the live version; "提交审核" starts Wagtail's moderation workflow
公益项目审核 (one :class:`~portal.models.ShowcaseApprovalTask`), which only an officer whose jurisdiction covers the
organization's region can approve or send back. Approval publishes the revision (Wagtail does that when the
workflow finishes); a later change goes through the workflow again while the public keeps seeing the approved
version. Members never publish.

Every change writes an audit row: ``showcase.propose``, ``showcase.edit``, ``showcase.submit``,
``showcase.withdraw`` here; ``showcase.approve`` and ``showcase.reject`` from Wagtail's task signals (see
:func:`record_decision`), however the officer acted; ``showcase.publish`` and ``showcase.unpublish`` from its page
signals (:func:`record_publication`). The receivers are at the end of portal/models.py, so they are connected
whenever the models are loaded.
"""

import html
import re
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import escape, strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.models import Page, Workflow, WorkflowPage, WorkflowState, WorkflowTask
from wagtail.rich_text import RichText

from core import audit
from core.exceptions import DomainError, PermissionDenied
from core.notify import notify
from core.permissions import member_q
from orgs.models import Membership, Organization

from .models import (
    ShowcaseApprovalTask,
    ShowcaseIndexPage,
    ShowcaseOutcome,
    ShowcasePhoto,
    ShowcaseProjectPage,
)

WORKFLOW_NAME = "公益项目审核"
TASK_NAME = "辖区民政干部审核"
MAX_PHOTOS = 12

# The page fields a member edits from the workspace (the organization is fixed when the entry is proposed).
EDITABLE_FIELDS = [
    "title", "service_field", "summary", "started_on", "ended_on", "people_reached", "contract", "grant_application",
]


class ShowcaseError(DomainError):
    """A showcase entry cannot be changed or submitted as asked."""


# --- scoping -------------------------------------------------------------------------------------------------------

def member_organizations(user) -> QuerySet:
    """The organizations ``user`` is a member of, which are those they may propose entries for."""
    return Organization.objects.filter(member_q(user, "self")).order_by("name")


def entries_for(user) -> QuerySet:
    """Every showcase entry of the user's organizations, drafts included (the workspace's list)."""
    return (
        ShowcaseProjectPage.objects.filter(member_q(user, "organization"))
        .select_related("organization")
        .order_by("-latest_revision_created_at", "-pk")
    )


def _require_member(organization: Organization, user) -> None:
    if not (user.is_authenticated and member_organizations(user).filter(pk=organization.pk).exists()):
        raise PermissionDenied(_("只有本组织的成员可以提交或修改本组织的公益项目展示。"))


# --- the moderation state a member sees ----------------------------------------------------------------------------

@dataclass
class EntryStatus:
    """Where an entry stands, as the workspace shows it."""

    code: str  # draft, in_review, returned, live, live_in_review
    label: str
    comment: str = ""  # the officer's comment when it was sent back
    returned_by: str = ""
    returned_at: object = None
    unsubmitted_changes: bool = False  # live, and a saved change not yet submitted

    @property
    def tag(self) -> str:
        """The CSS class of the state's tag (site.css)."""
        return {"draft": "tag-muted", "in_review": "tag-kind", "returned": "tag-danger", "live": "tag-ok",
                "live_in_review": "tag-warn"}[self.code]

    @property
    def editable(self) -> bool:
        return self.code not in ("in_review", "live_in_review")

    @property
    def submittable(self) -> bool:
        return self.code in ("draft", "returned") or self.unsubmitted_changes

    @property
    def withdrawable(self) -> bool:
        return self.code in ("in_review", "live_in_review")


def _status(page: ShowcaseProjectPage, workflow_state: WorkflowState | None) -> EntryStatus:
    if workflow_state is not None and workflow_state.status == WorkflowState.STATUS_IN_PROGRESS:
        if page.live:
            return EntryStatus("live_in_review", _("已发布（修改审核中）"))
        return EntryStatus("in_review", _("审核中"))
    if workflow_state is not None and workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        task_state = workflow_state.current_task_state
        return EntryStatus(
            "returned", _("已退回"), comment=task_state.comment if task_state else "",
            returned_by=str(task_state.finished_by) if task_state and task_state.finished_by else "",
            returned_at=task_state.finished_at if task_state else None,
        )
    if page.live:
        return EntryStatus("live", _("已发布"), unsubmitted_changes=page.has_unpublished_changes)
    return EntryStatus("draft", _("草稿"))


def attach_statuses(pages: list[ShowcaseProjectPage]) -> list[ShowcaseProjectPage]:
    """Set ``page.status`` (an :class:`EntryStatus`) on each page, with one query for all of them."""
    if not pages:
        return pages
    states = (
        WorkflowState.objects.active()
        .filter(base_content_type=ContentType.objects.get_for_model(Page), object_id__in=[str(p.pk) for p in pages])
        .select_related("current_task_state__finished_by")
    )
    by_page = {state.object_id: state for state in states}
    for page in pages:
        page.status = _status(page, by_page.get(str(page.pk)))
    return pages


def status_of(page: ShowcaseProjectPage) -> EntryStatus:
    return attach_statuses([page])[0].status


# --- the workflow ---------------------------------------------------------------------------------------------------

def ensure_workflow() -> Workflow:
    """The 公益项目审核 workflow with its jurisdiction task, assigned to the showcase index page(s); created on first
    use (migration 0004 makes it too). Found by name, so calling it again changes nothing, and once it exists an
    administrator's later changes to its tasks or pages are left alone."""
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
        task = ShowcaseApprovalTask.objects.filter(name=TASK_NAME).first() or ShowcaseApprovalTask.objects.create(
            name=TASK_NAME
        )
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    assigned = WorkflowPage.objects.filter(page_id__in=ShowcaseIndexPage.objects.values("pk")).values_list(
        "page_id", flat=True
    )
    for index_id in ShowcaseIndexPage.objects.exclude(pk__in=assigned).values_list("pk", flat=True):
        WorkflowPage.objects.create(page_id=index_id, workflow=workflow)
    return workflow


# --- body text ------------------------------------------------------------------------------------------------------

def body_text(page: ShowcaseProjectPage) -> str:
    """The paragraphs of the body as plain text, blank-line separated (what the workspace's text box shows)."""
    paragraphs = []
    for block in page.body:
        if block.block_type == "paragraph":
            source = re.sub(r"<br\s*/?>", "\n", block.value.source)
            source = re.sub(r"</p>\s*<p[^>]*>", "\n\n", source)
            paragraphs.append(html.unescape(strip_tags(source)).strip())
    return "\n\n".join(p for p in paragraphs if p)


def _body_from_text(page: ShowcaseProjectPage, text: str) -> list:
    """The body with its paragraphs replaced by ``text``; other blocks an editor added (images, notices …) are kept
    after them."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    blocks = [("paragraph", RichText("<p>" + "<br/>".join(escape(line) for line in p.split("\n")) + "</p>"))
              for p in paragraphs]
    blocks += [(block.block_type, block.value) for block in page.body if block.block_type != "paragraph"]
    return blocks


# --- changes --------------------------------------------------------------------------------------------------------

def _snapshot(page: ShowcaseProjectPage) -> dict:
    return {
        "title": page.title, "summary": page.summary, "people_reached": page.people_reached,
        "started_on": page.started_on.isoformat() if page.started_on else None,
        "ended_on": page.ended_on.isoformat() if page.ended_on else None,
        "service_field": page.service_field_id, "contract": page.contract_id,
        "grant_application": page.grant_application_id,
        "outcomes": [o.indicator for o in page.outcomes.all()],
        "photos": [p.image_id for p in page.photos.all()],
    }


def _check_funding(organization: Organization, data: dict) -> None:
    """The contract and grant must be the organization's own (the form offers only those; this is the rule)."""
    contract, grant = data.get("contract"), data.get("grant_application")
    if contract is not None and contract.organization_id != organization.pk:
        raise ShowcaseError(_("只能选择本组织的购买服务合同。"))
    if grant is not None and grant.organization_id != organization.pk:
        raise ShowcaseError(_("只能选择本组织的资助项目。"))


def _apply(page: ShowcaseProjectPage, *, data: dict, outcomes: list[dict], photo, photo_caption: str,
           remove_photos: set[int], captions: dict[int, str], acting_user) -> None:
    """Put what the member typed on ``page`` (in memory: its child rows are modelcluster relations)."""
    for name in EDITABLE_FIELDS:
        if name in data:
            setattr(page, name, data[name])
    if "body" in data and data["body"] != body_text(page):
        page.body = _body_from_text(page, data["body"])
    page.outcomes = [
        ShowcaseOutcome(indicator=o["indicator"], unit=o["unit"], target=o["target"], achieved=o["achieved"],
                        sort_order=i)
        for i, o in enumerate(outcomes)
    ]
    photos = []
    for existing in page.photos.all():
        if existing.image_id in remove_photos:
            continue
        if existing.image_id in captions:
            existing.caption = captions[existing.image_id]
        photos.append(existing)
    if photo is not None:
        if len(photos) >= MAX_PHOTOS:
            raise ShowcaseError(_("每个项目最多 %(n)d 张照片，请先删除一些。") % {"n": MAX_PHOTOS})
        label = (photo_caption or page.title)[:255]
        image = get_image_model()(title=label, description=label, file=photo, uploaded_by_user=acting_user)
        image._set_image_file_metadata()
        image.save()
        photos.append(ShowcasePhoto(image=image, caption=photo_caption))
    for i, item in enumerate(photos):
        item.sort_order = i
    page.photos = photos


def _unique_slug(index: ShowcaseIndexPage, title: str) -> str:
    base = slugify(title, allow_unicode=True)[:60].strip("-") or "project"
    taken = set(index.get_children().filter(slug__startswith=base).values_list("slug", flat=True))
    taken.add("workspace")  # /showcase/workspace/ is the members' pages (portal.urls), not a project
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def propose(organization: Organization, *, acting_user, data: dict, outcomes: list[dict], photo=None,
            photo_caption: str = "") -> ShowcaseProjectPage:
    """A new entry: a draft page under the showcase index with its first revision, owned by ``acting_user``.
    Not live and not submitted; nobody but the organization's members (and officers in the admin) sees it."""
    _require_member(organization, acting_user)
    _check_funding(organization, data)
    index = ShowcaseIndexPage.objects.first()
    if index is None:
        raise ShowcaseError(_("公益项目展示栏目尚未开设，请联系民政部门。"))
    page = ShowcaseProjectPage(
        organization=organization, owner=acting_user, live=False, slug=_unique_slug(index, data["title"]),
    )
    _apply(page, data=data, outcomes=outcomes, photo=photo, photo_caption=photo_caption, remove_photos=set(),
           captions={}, acting_user=acting_user)
    index.add_child(instance=page)
    page.save_revision(user=acting_user, log_action="wagtail.create")
    audit.record("showcase.propose", actor=acting_user, obj=page, after=_snapshot(page), region=organization.region)
    return page


def _locked(page: ShowcaseProjectPage) -> ShowcaseProjectPage:
    return ShowcaseProjectPage.objects.select_for_update().select_related("organization__region").get(pk=page.pk)


@transaction.atomic
def save_changes(page: ShowcaseProjectPage, *, acting_user, data: dict, outcomes: list[dict], photo=None,
                 photo_caption: str = "", remove_photos=(), captions: dict | None = None):
    """A new revision with the member's changes. The live version (if any) stays as it is until an officer
    approves. Refused while the entry is being reviewed (withdraw it first)."""
    page = _locked(page)
    _require_member(page.organization, acting_user)
    _check_funding(page.organization, data)
    if not status_of(page).editable:
        raise ShowcaseError(_("该项目正在审核中，不能修改；如需修改，请先撤回审核。"))
    draft = page.get_latest_revision_as_object()
    before = _snapshot(draft)
    _apply(draft, data=data, outcomes=outcomes, photo=photo, photo_caption=photo_caption,
           remove_photos=set(remove_photos), captions=captions or {}, acting_user=acting_user)
    revision = draft.save_revision(user=acting_user, log_action=True)
    audit.record("showcase.edit", actor=acting_user, obj=draft, before=before, after=_snapshot(draft),
                 region=page.organization.region)
    return revision


@transaction.atomic
def submit(page: ShowcaseProjectPage, *, acting_user) -> WorkflowState:
    """Send the latest revision to the 公益项目审核 workflow, or back to it after changes were requested."""
    page = _locked(page)
    _require_member(page.organization, acting_user)
    status = status_of(page)
    if not status.submittable:
        if status.withdrawable:
            raise ShowcaseError(_("该项目已在审核中，请等待审核结果。"))
        raise ShowcaseError(_("没有需要审核的修改：线上已是最新版本。"))
    if status.code == "returned":
        workflow_state = page.current_workflow_state
        workflow_state.resume(user=acting_user)
    else:
        ensure_workflow()
        workflow = page.get_workflow()
        if workflow is None or not workflow.tasks.filter(active=True).exists():
            # A workflow without an active task would publish at once: refuse rather than skip the review.
            raise ShowcaseError(_("审核流程尚未配置，暂时不能提交，请联系民政部门。"))
        workflow_state = workflow.start(page, acting_user)
    revision = page.get_latest_revision()
    audit.record("showcase.submit", actor=acting_user, obj=page,
                 after={"revision": revision.pk, "title": revision.object_str, "resubmitted": status.code == "returned"},
                 region=page.organization.region)
    return workflow_state


@transaction.atomic
def withdraw(page: ShowcaseProjectPage, *, acting_user) -> None:
    """Take an entry back out of review (to change it); the live version, if any, stays."""
    page = _locked(page)
    _require_member(page.organization, acting_user)
    workflow_state = page.current_workflow_state
    if workflow_state is None or workflow_state.status != WorkflowState.STATUS_IN_PROGRESS:
        raise ShowcaseError(_("该项目不在审核中，无需撤回。"))
    workflow_state.cancel(user=acting_user)
    audit.record("showcase.withdraw", actor=acting_user, obj=page, region=page.organization.region)


def record_decision(task_state, *, user, approved: bool) -> None:
    """Wagtail's task_approved / task_rejected: the audit row and the members' notice. Runs inside Wagtail's
    transaction, so the row exists exactly when the decision does. Other pages' workflows are ignored."""
    workflow_state = task_state.workflow_state
    page = (
        ShowcaseProjectPage.objects.filter(pk=workflow_state.object_id).select_related("organization__region").first()
    )
    if page is None:
        return
    revision = task_state.revision
    audit.record(
        "showcase.approve" if approved else "showcase.reject",
        actor=user, obj=page, reason=task_state.comment,
        after={"revision": revision.pk, "title": revision.object_str, "live": page.live},
        region=page.organization.region,
    )
    recipients = {u for u in (workflow_state.requested_by, page.owner) if u is not None and u.is_active}
    if approved and workflow_state.status == WorkflowState.STATUS_APPROVED:
        title = _("公益项目“%(title)s”已通过审核并发布") % {"title": revision.object_str}
    elif not approved:
        title = _("公益项目“%(title)s”被退回修改") % {"title": revision.object_str}
    else:
        return  # approved at one step of a longer workflow: nothing for the member yet
    link = reverse("showcase:edit", args=[page.pk])
    for recipient in recipients:
        if Membership.objects.filter(user=recipient, organization=page.organization).exists():
            notify(recipient, title, body=task_state.comment, link=link)


def record_publication(page: ShowcaseProjectPage, *, revision, published: bool) -> None:
    """Wagtail's page_published / page_unpublished for an entry: what the public sees changed. An approval publishes
    (after its ``showcase.approve`` row); an editor may also publish or unpublish in the admin. The signal does not
    say who acted; the admin's log context does (none when code publishes outside a request: the system)."""
    from wagtail.log_actions import get_active_log_context

    organization = Organization.objects.select_related("region").get(pk=page.organization_id)
    after = {"live": published, "title": page.title}
    if revision is not None:
        after["revision"] = revision.pk
    audit.record("showcase.publish" if published else "showcase.unpublish", actor=get_active_log_context().user,
                 obj=page, after=after, region=organization.region)
