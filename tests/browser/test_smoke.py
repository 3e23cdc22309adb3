import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width,label", [(390, "phone"), (1280, "desktop")])
def test_home_page_loads_in_chinese_with_live_figures(browser, live_server, demo_people, artifacts, width, label):
    page = browser.new_page(viewport={"width": width, "height": 900})
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    assert page.locator("h1").first.inner_text() == "社会组织与购买服务管理门户"
    from orgs.models import Organization
    from orgs.queries import ACTIVE

    expected = f"{Organization.objects.filter(ACTIVE).count():,}"
    assert page.locator(".figure[data-key=organizations] .figure-value").inner_text() == expected
    page.screenshot(path=str(artifacts / f"home-{label}.png"), full_page=True)
    page.close()


def test_demo_officer_signs_in_and_reaches_the_admin(browser, live_server, demo_people, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "138 0000 0003")
    page.fill("input[name=password]", "Demo@2026")
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/")
    assert "民政干部（南明区）" in page.content()
    page.screenshot(path=str(artifacts / "account-officer.png"), full_page=True)
    page.goto(live_server.url + "/admin/")
    assert page.locator("text=操作日志").first.is_visible()
    page.close()


def test_sign_up_errors_show_next_to_the_field_in_the_browser(browser, live_server, demo_people, artifacts):
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.goto(live_server.url + "/accounts/signup/")
    page.fill("input[name=phone]", "1234")
    page.fill("input[name=name]", "李明")
    page.fill("input[name=password1]", "Qianling#2026")
    page.fill("input[name=password2]", "Qianling#2025")
    page.click("main button[type=submit]")
    assert page.locator("#id_phone_error").inner_text().startswith("请输入有效的中国大陆手机号码")
    assert page.locator("#id_password2_error").inner_text() == "两次输入的密码不一致。"
    assert page.input_value("input[name=name]") == "李明"
    page.screenshot(path=str(artifacts / "signup-errors-phone.png"), full_page=True)
    page.close()
