"""What the browser tests do on many pages: sign in with the phone number, and save full-page screenshots at phone
and desktop width (as test artifacts), checking that a public page never scrolls sideways on a phone."""

DEMO_PASSWORD = "Demo@2026"
WIDTHS = [(375, "phone"), (1280, "desktop")]


def sign_in(page, base, phone, password=DEMO_PASSWORD):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/")


def shoot(page, artifacts, name, *, admin=False):
    """``<name>-phone.png`` and ``<name>-desktop.png``; the viewport is put back. The Wagtail admin (``admin``) is
    not held to the no-sideways-scroll rule of the public pages."""
    viewport = page.viewport_size
    for width, label in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts / f"{name}-{label}.png"), full_page=True)
        if not admin:
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{name} overflows horizontally at {width} px ({scroll} px wide)"
    page.set_viewport_size(viewport)
