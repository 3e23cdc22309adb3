import pytest

from core.models import Region
from core.phone import is_mobile, mask_phone, normalize_phone

GUIYANG_DISTRICTS = {
    "520102": "南明区", "520103": "云岩区", "520111": "花溪区", "520112": "乌当区", "520113": "白云区",
    "520115": "观山湖区", "520121": "开阳县", "520122": "息烽县", "520123": "修文县", "520181": "清镇市",
}


@pytest.mark.parametrize(
    "raw", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "8613800138000", "0086-13800138000"]
)
def test_phone_numbers_in_common_spellings_normalise_to_eleven_digits(raw):
    assert normalize_phone(raw) == "13800138000"
    assert is_mobile(raw)


@pytest.mark.parametrize("raw", ["", "12800138000", "1380013800", "138001380001", "abcdefghijk", "010-12345678"])
def test_numbers_that_are_not_mainland_mobiles_are_rejected(raw):
    assert not is_mobile(raw)


def test_masked_phone_hides_the_middle_four_digits():
    assert mask_phone("+86 13800138000") == "138****8000"


def test_reference_data_holds_guiyang_and_its_ten_districts_with_their_codes(db):
    city = Region.objects.get(code="520100")
    assert city.name == "贵阳市" and city.level == Region.Level.CITY
    districts = {r.code: r.name for r in city.get_children()}
    assert districts == GUIYANG_DISTRICTS
    assert all(r.level == Region.Level.DISTRICT for r in city.get_children())


def test_a_community_lies_in_its_districts_subtree_and_not_in_another(nanming, yunyan):
    from tests.factories import community

    huaguoyuan = community(nanming, "520102001000", "花果园街道")
    assert Region.objects.filter(path__startswith=nanming.path, code=huaguoyuan.code).exists()
    assert huaguoyuan.full_name == "贵阳市南明区花果园街道"
    assert not huaguoyuan.path.startswith(yunyan.path)
    assert huaguoyuan.get_parent() == nanming
