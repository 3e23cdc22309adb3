"""Reference data: 贵阳市 and its ten districts with their GB/T 2260 codes.

Paths are computed here rather than through treebeard's API, which historical models in migrations do not
have: steplen 4 in base 36, siblings in code order (Region.node_order_by).
"""

from django.db import migrations

GUIYANG = ("520100", "贵阳市")
DISTRICTS = [
    ("520102", "南明区"),
    ("520103", "云岩区"),
    ("520111", "花溪区"),
    ("520112", "乌当区"),
    ("520113", "白云区"),
    ("520115", "观山湖区"),
    ("520121", "开阳县"),
    ("520122", "息烽县"),
    ("520123", "修文县"),
    ("520181", "清镇市"),
]
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def step(n: int) -> str:
    digits = ""
    while n:
        n, r = divmod(n, 36)
        digits = ALPHABET[r] + digits
    return digits.rjust(4, "0")


def load(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    if Region.objects.filter(code=GUIYANG[0]).exists():
        return
    last_root = Region.objects.filter(depth=1).order_by("-path").first()
    root_index = int(last_root.path, 36) + 1 if last_root else 1
    city = Region.objects.create(
        code=GUIYANG[0], name=GUIYANG[1], level="city", path=step(root_index), depth=1, numchild=len(DISTRICTS)
    )
    for index, (code, name) in enumerate(sorted(DISTRICTS), start=1):
        Region.objects.create(code=code, name=name, level="district", path=city.path + step(index), depth=2, numchild=0)


def unload(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    city = Region.objects.filter(code=GUIYANG[0]).first()
    if city:
        Region.objects.filter(path__startswith=city.path).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
