"""Showcase entries proposed from the organization workspace and moderated through Wagtail's workflow (issue 8
item 2): members save revisions and submit; only an officer whose jurisdiction covers the organization approves;
approval publishes; a later change is moderated again while the public keeps the approved version."""

import io

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import TaskState, Workflow, WorkflowPage, WorkflowState

from core.models import AuditEntry, Notification
from portal import showcase
from portal.models import ShowcaseApprovalTask, ShowcaseProjectPage
from tests.portal.factories import ShowcaseProjectPageFactory, showcase_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def index(db):
    return showcase_index()


def form_data(**overrides) -> dict:
    data = {
        "title": "社区助老食堂", "service_field": "", "summary": "为社区老人提供助餐与陪伴服务",
        "body": "第一段：项目缘起。\n\n第二段：服务内容。", "started_on": "2026-01-01", "ended_on": "2026-06-30",
        "people_reached": "300", "contract": "", "grant_application": "", "photo_caption": "",
        "outcomes-TOTAL_FORMS": "2", "outcomes-INITIAL_FORMS": "0", "outcomes-MIN_NUM_FORMS": "0",
        "outcomes-MAX_NUM_FORMS": "20",
        "outcomes-0-indicator": "助餐服务", "outcomes-0-unit": "人次", "outcomes-0-target": "1000",
        "outcomes-0-achieved": "1200",
        "outcomes-1-indicator": "", "outcomes-1-unit": "", "outcomes-1-target": "", "outcomes-1-achieved": "",
    }
    data.update(overrides)
    return data


def jpeg(name="photo.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (200, 80, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def propose(client, user, organization, **overrides) -> ShowcaseProjectPage:
    client.force_login(user)
    response = client.post(reverse("showcase:new", args=[organization.pk]), form_data(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    return ShowcaseProjectPage.objects.get(title=overrides.get("title", "社区助老食堂"))


def proposed(member, organization, title="社区助老食堂") -> ShowcaseProjectPage:
    """An entry proposed through the service (for tests about what follows)."""
    return showcase.propose(
        organization, acting_user=member, photo=None,
        data={"title": title, "summary": "为社区老人提供助餐服务", "body": "", "service_field": None,
              "started_on": None, "ended_on": None, "people_reached": 10, "contract": None, "grant_application": None},
        outcomes=[],
    )


def task_state_of(page) -> TaskState:
    return TaskState.objects.get(workflow_state__object_id=str(page.pk), status=TaskState.STATUS_IN_PROGRESS)


def published(member, organization, officer, title="社区助老食堂") -> ShowcaseProjectPage:
    page = proposed(member, organization, title)
    showcase.submit(page, acting_user=member)
    task_state_of(page).approve(user=officer)
    page.refresh_from_db()
    assert page.live
    return page


def action_url(page, action, task_state) -> str:
    return reverse("wagtailadmin_pages:workflow_action", args=[page.pk, action, task_state.pk])


def assert_refused(response):
    """The Wagtail admin answers an action the user may not take with a redirect to the dashboard and a message."""
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert "没有权限" in " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_a_proposal_is_public_only_after_an_officer_of_the_district_approves_it_in_the_admin(
    client, index, applicant, officer_nanming
):
    page = propose(client, applicant, applicant.memberships.get().organization)
    assert not page.live and page.owner == applicant
    assert page.get_latest_revision().user == applicant
    listing = client.get(reverse("showcase:index")).content.decode()
    assert "社区助老食堂" in listing and "草稿" in listing

    client.logout()
    assert client.get(page.url).status_code == 404
    assert "社区助老食堂" not in client.get(index.url).content.decode()

    client.force_login(applicant)
    assert client.post(reverse("showcase:submit", args=[page.pk])).status_code == 302
    assert "审核中" in client.get(reverse("showcase:index")).content.decode()
    client.logout()
    assert client.get(page.url).status_code == 404
    assert "社区助老食堂" not in client.get(index.url).content.decode()

    client.force_login(officer_nanming)
    response = client.post(action_url(page, "approve", task_state_of(page)), {"comment": ""})
    assert response.status_code == 302
    client.logout()
    page.refresh_from_db()
    assert page.live
    public = client.get(page.url)
    assert public.status_code == 200 and "社区助老食堂" in public.content.decode()
    assert "社区助老食堂" in client.get(index.url).content.decode()
    actions = set(AuditEntry.objects.filter(object_id=str(page.pk)).values_list("action", flat=True))
    assert {"showcase.propose", "showcase.submit", "showcase.approve", "showcase.publish"} <= actions
    assert AuditEntry.objects.get(action="showcase.publish", object_id=str(page.pk)).actor == officer_nanming
    approval = AuditEntry.objects.get(action="showcase.approve", object_id=str(page.pk))
    assert approval.actor == officer_nanming and approval.region == page.organization.region
    assert Notification.objects.filter(user=applicant, title__contains="已通过审核").exists()


def test_a_change_to_a_published_entry_stays_hidden_until_an_officer_approves_it_again(
    client, index, applicant, org_a, officer_nanming
):
    page = published(applicant, org_a, officer_nanming)
    client.force_login(applicant)
    response = client.post(reverse("showcase:edit", args=[page.pk]), form_data(title="社区助老食堂（二期）", submit="1"))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.title == "社区助老食堂" and page.draft_title == "社区助老食堂（二期）"
    assert "已发布（修改审核中）" in client.get(reverse("showcase:index")).content.decode()

    client.logout()
    html = client.get(page.url).content.decode()
    assert "社区助老食堂" in html and "二期" not in html

    task_state_of(page).approve(user=officer_nanming)
    html = client.get(page.url).content.decode()
    assert "社区助老食堂（二期）" in html


def test_saving_a_change_never_touches_the_live_version(client, index, applicant, org_a, officer_nanming):
    page = published(applicant, org_a, officer_nanming)
    client.force_login(applicant)
    client.post(reverse("showcase:edit", args=[page.pk]), form_data(title="改过的标题", summary="改过的简介"))
    page.refresh_from_db()
    assert (page.title, page.summary, page.live, page.has_unpublished_changes) == (
        "社区助老食堂", "为社区老人提供助餐服务", True, True)
    assert "有修改尚未提交审核" in client.get(reverse("showcase:index")).content.decode()
    client.logout()
    assert "改过的标题" not in client.get(page.url).content.decode()


def test_an_officer_of_another_district_can_neither_see_nor_approve_the_entry(
    client, index, applicant, org_a, officer_nanming, officer_yunyan, city_officer
):
    page = proposed(applicant, org_a)
    showcase.submit(page, acting_user=applicant)
    task_state = task_state_of(page)
    task = task_state.task.specific
    assert task.get_actions(page, officer_yunyan) == []
    assert task_state not in TaskState.objects.reviewable_by(officer_yunyan)
    assert task_state in TaskState.objects.reviewable_by(officer_nanming)
    assert task_state in TaskState.objects.reviewable_by(city_officer)  # the city's jurisdiction covers 南明区

    # The admin dashboard lists the entry for review to the district's officer only.
    client.force_login(officer_nanming)
    assert "社区助老食堂" in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(officer_yunyan)
    assert "社区助老食堂" not in client.get(reverse("wagtailadmin_home")).content.decode()
    assert_refused(client.post(action_url(page, "approve", task_state), {"comment": ""}))
    page.refresh_from_db()
    task_state.refresh_from_db()
    assert not page.live and task_state.status == TaskState.STATUS_IN_PROGRESS


def test_an_officer_cannot_approve_another_districts_task_through_a_page_of_their_own(
    client, index, applicant, org_a, other_member, org_b, officer_yunyan
):
    theirs = proposed(applicant, org_a, "南明区的项目")
    showcase.submit(theirs, acting_user=applicant)
    own = proposed(other_member, org_b, "云岩区的项目")
    showcase.submit(own, acting_user=other_member)
    client.force_login(officer_yunyan)
    # Wagtail's view checks the actions against the page in the URL; the task refuses the other task state.
    assert_refused(client.post(action_url(own, "approve", task_state_of(theirs)), {"comment": ""}))
    theirs.refresh_from_db()
    assert not theirs.live


def test_rejection_returns_the_entry_to_the_member_with_the_officers_comment(
    client, index, applicant, org_a, officer_nanming
):
    page = proposed(applicant, org_a)
    showcase.submit(page, acting_user=applicant)
    client.force_login(officer_nanming)
    response = client.post(action_url(page, "reject", task_state_of(page)), {"comment": "请补充服务对象的照片。"})
    assert response.status_code == 302
    page.refresh_from_db()
    assert not page.live

    client.force_login(applicant)
    listing = client.get(reverse("showcase:index")).content.decode()
    assert "已退回" in listing and "请补充服务对象的照片。" in listing
    detail = client.get(reverse("showcase:edit", args=[page.pk])).content.decode()
    assert "请补充服务对象的照片。" in detail and "刘南明" in detail
    assert AuditEntry.objects.get(action="showcase.reject", object_id=str(page.pk)).reason == "请补充服务对象的照片。"
    assert Notification.objects.filter(user=applicant, title__contains="退回").exists()

    # Changed and sent again: the same workflow resumes with the new revision.
    client.post(reverse("showcase:edit", args=[page.pk]), form_data(photo=jpeg(), photo_caption="助餐现场", submit="1"))
    state = WorkflowState.objects.get(object_id=str(page.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    page.refresh_from_db()
    assert task_state_of(page).revision == page.get_latest_revision()


def test_a_member_of_another_organization_gets_404_for_the_entry(client, index, applicant, org_a, other_member):
    page = proposed(applicant, org_a)
    client.force_login(other_member)
    assert client.get(reverse("showcase:edit", args=[page.pk])).status_code == 404
    assert client.post(reverse("showcase:edit", args=[page.pk]), form_data(title="篡改")).status_code == 404
    assert client.post(reverse("showcase:submit", args=[page.pk])).status_code == 404
    assert client.post(reverse("showcase:withdraw", args=[page.pk])).status_code == 404
    assert client.get(reverse("showcase:new", args=[org_a.pk])).status_code == 404
    assert "社区助老食堂" not in client.get(reverse("showcase:index")).content.decode()
    page.refresh_from_db()
    assert page.draft_title == "社区助老食堂"


def test_anonymous_visitors_are_sent_to_sign_in_and_outsiders_find_nothing(client, index, applicant, org_a, outsider):
    page = proposed(applicant, org_a)
    for url in (reverse("showcase:index"), reverse("showcase:new", args=[org_a.pk]),
                reverse("showcase:edit", args=[page.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    client.force_login(outsider)
    assert client.get(reverse("showcase:edit", args=[page.pk])).status_code == 404
    assert client.get(reverse("showcase:new", args=[org_a.pk])).status_code == 404
    assert "您还不是任何组织的成员" in client.get(reverse("showcase:index")).content.decode()


def test_a_text_file_named_jpg_is_refused_by_the_photo_field_and_the_typed_title_is_kept(
    client, index, applicant, org_a
):
    client.force_login(applicant)
    fake = SimpleUploadedFile("photo.jpg", "这不是图片".encode(), content_type="image/jpeg")
    response = client.post(reverse("showcase:new", args=[org_a.pk]), form_data(title="我输入的标题", photo=fake))
    assert response.status_code == 400
    assert "文件内容不是有效的图片" in response.context["form"].errors["photo"][0]
    html = response.content.decode()
    assert 'value="我输入的标题"' in html and "文件内容不是有效的图片" in html
    assert not ShowcaseProjectPage.objects.exists()


def test_a_photo_over_10_mb_is_refused(client, index, applicant, org_a):
    client.force_login(applicant)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024), content_type="image/jpeg")
    response = client.post(reverse("showcase:new", args=[org_a.pk]), form_data(photo=big))
    assert response.status_code == 400
    assert "不能超过 10 MB" in response.context["form"].errors["photo"][0]


def test_a_photo_becomes_a_wagtail_image_with_its_caption_as_alt_text(client, index, applicant, org_a):
    page = propose(client, applicant, org_a, photo=jpeg(), photo_caption="老人们在食堂用餐")
    image = get_image_model().objects.get()
    assert image.description == "老人们在食堂用餐" and image.width == 64 and image.uploaded_by_user == applicant
    draft = page.get_latest_revision_as_object()
    assert [(p.image_id, p.caption) for p in draft.photos.all()] == [(image.pk, "老人们在食堂用餐")]
    assert [(o.indicator, o.target, o.achieved) for o in draft.outcomes.all()] == [("助餐服务", 1000, 1200)]
    edit_page = client.get(reverse("showcase:edit", args=[page.pk])).content.decode()
    assert 'alt="老人们在食堂用餐"' in edit_page and f'name="remove_photos" value="{image.pk}"' in edit_page
    # Without a caption the alt text is the title; removing a photo takes it off the next revision.
    client.post(reverse("showcase:edit", args=[page.pk]), form_data(photo=jpeg("b.jpg"), remove_photos=[image.pk]))
    second = get_image_model().objects.exclude(pk=image.pk).get()
    page.refresh_from_db()
    assert second.description == "社区助老食堂"
    assert [p.image_id for p in page.get_latest_revision_as_object().photos.all()] == [second.pk]


def test_an_entry_in_review_cannot_be_changed_until_it_is_withdrawn(client, index, applicant, org_a):
    page = proposed(applicant, org_a)
    showcase.submit(page, acting_user=applicant)
    client.force_login(applicant)
    assert "撤回审核" in client.get(reverse("showcase:edit", args=[page.pk])).content.decode()
    response = client.post(reverse("showcase:edit", args=[page.pk]), form_data(title="审核中偷偷改"))
    assert response.status_code == 400 and "请先撤回审核" in response.content.decode()
    page.refresh_from_db()
    assert page.get_latest_revision().object_str == "社区助老食堂"

    client.post(reverse("showcase:withdraw", args=[page.pk]))
    assert showcase.status_of(page).code == "draft"
    assert client.post(reverse("showcase:edit", args=[page.pk]), form_data(title="撤回后修改")).status_code == 302
    page.refresh_from_db()
    assert page.get_latest_revision().object_str == "撤回后修改"
    assert AuditEntry.objects.filter(action="showcase.withdraw", object_id=str(page.pk)).exists()


def test_members_never_publish(index, applicant, org_a):
    page = proposed(applicant, org_a)
    showcase.submit(page, acting_user=applicant)
    task = task_state_of(page).task.specific
    assert task.get_actions(page, applicant) == []
    assert task.locked_for_user(page, applicant)
    with pytest.raises(showcase.ShowcaseError):
        showcase.submit(page, acting_user=applicant)  # already in review
    page.refresh_from_db()
    assert not page.live


def test_the_workflow_is_made_once_and_moderates_every_page_under_the_showcase_index(index):
    first = showcase.ensure_workflow()
    assert showcase.ensure_workflow() == first
    assert Workflow.objects.filter(name="公益项目审核").count() == 1
    assert WorkflowPage.objects.get(page=index).workflow == first
    assert [type(t.specific) for t in first.tasks] == [ShowcaseApprovalTask]
    assert index.get_workflow() == first
    # A page an editor adds in the admin is moderated by the same workflow, through the index page.
    assert ShowcaseProjectPageFactory(live=False).get_workflow() == first


def test_contract_and_grant_choices_are_the_organizations_own(client, index, applicant, org_a, org_b, city_officer):
    from tests.grants.helpers import funded, make_call

    call = make_call(created_by=city_officer)
    own = funded(call, city_officer, organization=org_a, user=applicant).application
    theirs = funded(call, city_officer, organization=org_b).application
    client.force_login(applicant)
    form = client.get(reverse("showcase:new", args=[org_a.pk])).context["form"]
    assert list(form.fields["grant_application"].queryset) == [own]
    response = client.post(reverse("showcase:new", args=[org_a.pk]), form_data(grant_application=str(theirs.pk)))
    assert response.status_code == 400
    assert "只能选择本组织已获资助的项目" in response.context["form"].errors["grant_application"][0]
    page = propose(client, applicant, org_a, grant_application=str(own.pk))
    assert page.get_latest_revision_as_object().grant_application == own


def test_the_organization_workspace_links_to_the_showcase_pages(client, applicant):
    client.force_login(applicant)
    html = client.get(reverse("orgs:workspace")).content.decode()
    assert f'href="{reverse("showcase:index")}"' in html and "公益项目展示" in html
