"""The menu marks one area as the current one: the entry with the longest matching address."""

from django.test import RequestFactory

from portal.context_processors import site


def active_labels(path):
    return [item["label"] for item in site(RequestFactory().get(path))["nav_items"] if item["active"]]


def test_a_procurement_page_marks_purchased_services_and_not_grants():
    assert active_labels("/grants/procurements/3/") == ["购买服务"]
    assert active_labels("/grants/contracts/3/") == ["购买服务"]
    assert active_labels("/grants/survey/abc/") == ["购买服务"]


def test_a_grants_page_marks_grants_only():
    assert active_labels("/grants/calls/1/") == ["孵化资助"]


def test_the_home_page_marks_only_home():
    assert len(active_labels("/")) <= 1
