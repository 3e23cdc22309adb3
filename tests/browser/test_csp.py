"""The Content-Security-Policy in a real browser (issue 11): public pages run under a policy without inline script,
the Wagtail admin under its admin-only relaxation, and neither produces a single violation: the officer signs in,
opens the dashboard and an edit form (whose InlinePanel script must still work), and public pages with forms and the
countdown; an administrator opens a CMS page's editor with its preview."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser.pages import DEMO_PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Chromium reports a blocked script, style, image or frame on the console ("Refused to execute inline script because
# it violates the following Content Security Policy directive …"); the securitypolicyviolation event is logged too,
# so that nothing is missed whichever way the browser reports it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("Content Security Policy violation: " + event.violatedDirective + " blocked " + event.blockedURI
                + " on " + document.location.pathname);
});
"""


def watched_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    return page, violations


def visit(page, url):
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    assert response.status == 200, url
    return response


def test_the_officer_works_in_the_admin_and_on_public_pages_without_a_policy_violation(
    browser, live_server, demo_people, artifacts
):
    from grants.models import FundingCall

    officer = demo_people["officer"]
    now = timezone.now()
    call = FundingCall.objects.create(
        title="2026 年南明区公益创投", kind=FundingCall.Kind.VENTURE, year=2026, region=officer.jurisdictions[0],
        description="面向南明区社会组织的公益创投项目。", budget=Decimal("200000"), max_amount=Decimal("50000"),
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=20),
        status=FundingCall.Status.PUBLISHED,
    )
    base = live_server.url
    page, violations = watched_page(browser)

    # Public pages: the strict policy, twice for the home page (the second answer comes from the page cache).
    for url in ["/", "/", reverse("grants:calls"), reverse("grants:call", args=[call.pk]), "/search/?q=养老",
                reverse("accounts:signup"), "/admin/login/"]:
        response = visit(page, base + url)
        header = response.headers["content-security-policy"]
        assert "script-src 'self';" in header + ";" and "unsafe-inline';" not in header.split("style-src")[0], url
    # The countdown is a static script now, and it ran.
    assert page.goto(base + reverse("grants:calls")).status == 200
    page.wait_for_load_state("networkidle")
    loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert any(name.endswith("/static/js/countdown.js") for name in loaded)

    # Signs in on the public form, then the admin: the dashboard and the add form of a funding call.
    sign_in(page, base, officer.phone, DEMO_PASSWORD)
    response = visit(page, base + "/admin/")
    assert "'unsafe-inline'" in response.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    visit(page, base + reverse("grant_calls:add"))
    # InlinePanel is started by an inline <script>: under a policy that blocked it, "add" would do nothing.
    before = int(page.input_value("#id_criteria-TOTAL_FORMS"))
    page.click("#id_criteria-ADD")
    page.wait_for_timeout(300)
    assert int(page.input_value("#id_criteria-TOTAL_FORMS")) == before + 1
    assert page.locator(f"#inline_child_criteria-{before}").is_visible()
    # The date-time widgets are started the same way: each builds its (hidden) picker.
    assert page.locator(".xdsoft_datetimepicker").count() >= 2
    page.screenshot(path=str(artifacts / "csp-admin-call-form.png"), full_page=True)
    visit(page, base + reverse("grant_calls:inspect", args=[call.pk]))
    visit(page, base + reverse("accounts:profile"))

    assert violations == []
    page.context.close()


def test_the_cms_page_editor_and_its_preview_work_without_a_policy_violation(browser, live_server, artifacts):
    from core.models import User
    from tests.portal.factories import StandardPageFactory

    User.objects.create_superuser(phone="13800000001", password=DEMO_PASSWORD, name="系统管理员")
    guide = StandardPageFactory(title="办事指南", slug="guide", intro="第一版导语")
    base = live_server.url
    page, violations = watched_page(browser)
    page.goto(base + "/admin/login/")
    page.fill("input[name=username]", "13800000001")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/")
    visit(page, base + f"/admin/pages/{guide.pk}/edit/")
    # The scheduled-publishing fields are Wagtail date-time widgets, started by inline scripts.
    assert page.locator(".xdsoft_datetimepicker").count() >= 2
    # Wagtail renders the preview through the public page's middleware inside the admin request; the panel frames it.
    page.click("[data-side-panel-toggle='preview']")
    # (Playwright's wait_for_function would itself need 'unsafe-eval'; locator assertions do not.)
    from playwright.sync_api import expect

    loaded = "iframe.w-preview__iframe[src*='/edit/preview/']:not(.w-preview__proxy)"
    expect(page.locator(loaded)).to_have_count(1, timeout=15_000)  # the proxy frame has loaded and taken over
    frame = page.frame_locator(loaded)
    assert frame.locator("h1").first.inner_text(timeout=10_000) == "办事指南"
    page.screenshot(path=str(artifacts / "csp-admin-page-editor.png"), full_page=True)
    visit(page, base + "/admin/pages/")
    visit(page, base + "/admin/images/")
    visit(page, base + guide.url)

    assert violations == []
    page.context.close()
