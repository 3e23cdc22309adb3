"""Reference data: the service fields (服务领域) organizations choose from; administrators may add more."""

from django.db import migrations

FIELDS = [
    ("elderly", "养老服务"), ("disability", "助残服务"), ("childcare", "托幼服务"), ("youth", "青少年服务"),
    ("culture", "文化体育"), ("drugs", "禁毒防毒"), ("community", "社区帮扶"), ("education", "教育培训"),
    ("health", "卫生健康"), ("environment", "生态环保"), ("legal", "法律服务"), ("relief", "扶贫济困"),
    ("women", "妇女儿童"), ("volunteering", "志愿服务"), ("science", "科技服务"), ("trade", "行业服务"),
]


def load(apps, schema_editor):
    ServiceField = apps.get_model("orgs", "ServiceField")
    for order, (code, name) in enumerate(FIELDS, start=1):
        ServiceField.objects.get_or_create(code=code, defaults={"name": name, "order": order * 10})


def unload(apps, schema_editor):
    apps.get_model("orgs", "ServiceField").objects.filter(code__in=[c for c, _ in FIELDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_registry_fields")]
    operations = [migrations.RunPython(load, unload)]
