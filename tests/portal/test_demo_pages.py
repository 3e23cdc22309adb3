"""The public site's demo content (portal.demo, seed_demo's last step).

The module builds one small demo world once — seed_demo's first steps with a registry of 160 organizations, the
五比五看 demo and the grants demo — then runs seed_demo's page step on it, timed; every test reads that world
inside its own savepoint and the whole world is rolled back at the end. Media go to a temporary folder."""

import datetime
import random
import time
from io import StringIO

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.documents.models import Document
from wagtail.images.models import Image
from wagtail.models import PageLogEntry, Revision

from evaluations.models import Campaign
from grants.models import ApplicationStatus, Contract
from orgs.models import Organization
from portal import demo
from portal.management.commands.seed_demo import Command
from portal.models import (
    CampaignResultsPage,
    EventPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    OpenDataPage,
    PolicyAttachment,
    PolicyIndexPage,
    PolicyPage,
    ShowcaseIndexPage,
    ShowcaseOutcome,
    ShowcasePhoto,
    ShowcaseProjectPage,
)

FUNDED = {ApplicationStatus.AWARDED, ApplicationStatus.AGREEMENT, ApplicationStatus.IN_PROGRESS, ApplicationStatus.COMPLETED}


def demo_rows() -> dict:
    models = [HomePage, NewsPage, PolicyPage, PolicyAttachment, ShowcaseProjectPage, ShowcasePhoto, ShowcaseOutcome,
              EventPage, CampaignResultsPage, OpenDataPage, Image, Document, Revision, PageLogEntry]
    return {model.__name__: model.objects.count() for model in models}


def test_the_pages_are_built_on_a_bare_registry_without_grants_or_campaigns(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    command = Command(stdout=StringIO())
    rng = random.Random(2026)
    for step in (command.seed_regions, command.seed_accounts, command.seed_organizations):
        step(rng)

    added = demo.build(random.Random(1))

    assert added["showcase"] == 12 and added["news"] == 8 and added["policy"] >= 6
    assert not CampaignResultsPage.objects.exists()  # no campaign has published results yet
    assert not ShowcaseProjectPage.objects.exclude(contract=None, grant_application=None).exists()
    assert set(ShowcaseProjectPage.objects.values_list("organization__status", flat=True)) <= {
        Organization.Status.REGISTERED, Organization.Status.FILED
    }
    assert demo.build(random.Random(1)) == {}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
        from evaluations import demo as evaluations_demo
        from grants import demo as grants_demo

        command = Command(stdout=StringIO())
        command.scale = {"organizations": 160}
        rng = random.Random(2026)
        for step in (command.seed_regions, command.seed_accounts, command.seed_organizations, command.seed_registry):
            step(rng)
        evaluations_demo.build(random.Random(5), raters=60, ratings=6000)
        grants_demo.build(random.Random(11))
        started = time.process_time()  # CPU time: the suite's machine may be busy with other work
        command.seed_pages(rng)
        yield {"seconds": time.process_time() - started}
        transaction.set_rollback(True)


@pytest.fixture
def built(world, db):
    return world


def test_the_page_step_takes_less_than_twenty_seconds(built):
    assert built["seconds"] < 20


def test_the_home_page_has_its_text_and_the_sections_under_it(built):
    home = HomePage.objects.get()
    assert home.hero_text and [block.block_type for block in home.body][:2] == ["heading", "paragraph"]
    for model, slug in ((NewsIndexPage, "news"), (PolicyIndexPage, "policies"), (ShowcaseIndexPage, "showcase"),
                        (OpenDataPage, "open-data")):
        page = model.objects.get()
        assert page.slug == slug and page.live and page.get_parent().pk == home.pk
    assert OpenDataPage.objects.get().intro


def test_twelve_live_showcase_projects_each_show_photos_outcomes_and_a_seeded_organization(built):
    projects = ShowcaseProjectPage.objects.live().select_related("organization", "contract", "grant_application")
    assert projects.count() == 12
    assert projects.filter(featured=True).count() == 4
    specs = {spec.slug: spec for spec in demo.PROJECTS}
    for project in projects:
        spec = specs[project.slug]
        assert project.organization.status in (Organization.Status.REGISTERED, Organization.Status.FILED)
        assert project.service_field is not None and project.summary and project.people_reached > 0
        assert project.photos.count() >= 2, project.title
        assert project.outcomes.count() >= 2, project.title
        assert all(o.target > 0 and o.achieved > 0 for o in project.outcomes.all())
        # A contract or a grant shown with a project is one of the project's own organization, about the same thing.
        if project.contract:
            assert project.contract.organization_id == project.organization_id
            assert project.contract.status in (Contract.Status.ACTIVE, Contract.Status.COMPLETED)
            assert any(word in project.contract.title for word in spec.contract_words)
        if project.grant_application:
            assert project.grant_application.organization_id == project.organization_id
            assert project.grant_application.status in FUNDED
            assert any(word in project.grant_application.project_title for word in spec.grant_words)
    assert projects.exclude(contract=None).exists() and projects.exclude(grant_application=None).exists()
    assert projects.values("organization").distinct().count() >= 8


def test_the_photos_are_generated_1200_by_800_jpegs(built):
    photo = ShowcasePhoto.objects.select_related("image").first()
    assert (photo.image.width, photo.image.height) == (1200, 800)
    with photo.image.open_file() as handle:
        picture = PILImage.open(handle)
        assert picture.format == "JPEG" and picture.size == (1200, 800)
    assert photo.image.file_size and len(photo.image.file_hash) == 40


def test_every_policy_has_a_pdf_of_its_text_and_one_is_repealed(built):
    policies = PolicyPage.objects.live()
    assert policies.count() >= 6
    assert policies.filter(validity=PolicyPage.Validity.REPEALED).count() == 1
    assert policies.filter(document_number="筑民发〔2025〕12号").exists()
    for policy in policies:
        assert policy.issuer and policy.issued_on and policy.body
        attachments = list(policy.attachments.select_related("document"))
        assert attachments, policy.title
        for attachment in attachments:
            with attachment.document.open_file() as handle:
                assert handle.read(5) == b"%PDF-", attachment.document.title


def test_the_policy_pdf_embeds_the_cjk_font():
    data = demo.policy_pdf("测试办法", "贵阳市民政局", "筑民发〔2026〕1号", datetime.date(2026, 1, 5), ["第一条　测试。"])
    assert data.startswith(b"%PDF-") and b"FontFile2" in data


def test_two_events_one_held_with_its_outcomes_and_one_coming(built):
    now = timezone.now()
    held = EventPage.objects.live().get(title="第三届筑城公益汇")
    assert held.ends_at < now
    assert (held.visitors, held.projects_matched, held.talents_presented) == (50000, 46, 128)
    assert held.donations_pledged > 0
    coming = EventPage.objects.live().exclude(pk=held.pk).get()
    assert coming.starts_at > now
    for event in (held, coming):
        assert {block.value["kind"] for block in event.sessions} == {"showcase", "experience", "talent", "matching"}
        assert event.organizations.exists()
        assert all(block.value["starts_at"].tzinfo for block in event.sessions)


def test_news_articles_are_dated_over_the_last_months_and_some_have_covers(built):
    news = NewsPage.objects.live()
    today = timezone.localdate()
    assert news.count() >= 6
    assert all(today - datetime.timedelta(days=200) <= n.date <= today for n in news)
    assert news.exclude(cover=None).count() >= 3
    assert news.filter(title__contains="第三届筑城公益汇").exists()


def test_the_results_page_shows_the_latest_published_campaign(built):
    latest = Campaign.objects.filter(
        kind=Campaign.Kind.PUBLIC, status__in=(Campaign.Status.PUBLISHED, Campaign.Status.FINALIZED)
    ).order_by("-year").first()
    page = CampaignResultsPage.objects.live().get()
    assert page.campaign == latest and page.slug == f"campaign-results-{latest.year}"


def test_a_second_run_adds_nothing(built):
    before = demo_rows()
    command = Command(stdout=StringIO())
    command.seed_pages(random.Random(2026))
    assert demo.build(random.Random(9)) == {}
    assert demo_rows() == before


def test_every_demo_page_and_document_answers_200(built, client):
    # Templates of the section pages are written alongside; a missing template fails here for that reason only.
    home = HomePage.objects.get()
    pages = list(home.get_descendants(inclusive=True).live().specific())
    assert len(pages) >= 1 + 5 + 8 + 7 + 12 + 2
    for page in pages:
        response = client.get(page.url)
        assert response.status_code == 200, (page.url, response.status_code)
    document = PolicyAttachment.objects.select_related("document").first().document
    response = client.get(document.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content]).startswith(b"%PDF-")
