"""The guiding catalogue (政府购买服务指导性目录) of services a purchaser may buy (财政部令第102号 Art. 9–11;
DESIGN.md §4.3). First-level items of the 基本公共服务 and 社会管理性服务 families a civil-affairs bureau buys from
social organizations; administrators refine them (codes such as A0901) in the admin. Idempotent: an item whose code
exists is left as the administrators have it. Reversing leaves the rows (projects may already name them)."""

from django.db import migrations

CATALOGUE = [
    ("A01", "基本公共卫生", "健康教育、慢性病患者健康管理、老年人和孕产妇健康服务等基本公共卫生服务。"),
    ("A02", "公共就业", "就业援助、职业指导、就业技能培训和困难群体就业帮扶。"),
    ("A03", "社会保险", "社会保险政策宣传、参保登记代办和待遇领取资格协助认证。"),
    ("A04", "社会保障", "优抚对象、困难群众等社会保障对象的服务与权益保障。"),
    ("A05", "社区文体", "社区文化活动、全民健身、群众文体队伍培育和公共文化设施运营。"),
    ("A06", "公共安全法治", "普法宣传、人民调解、社区矫正和安置帮教等公共安全与法治服务。"),
    ("A07", "社会救助", "低保、特困、临时救助对象的探访、需求评估、照料和资源链接。"),
    ("A08", "社区生活", "社区治理、邻里互助、便民服务和居民议事协商等社区生活服务。"),
    ("A09", "养老助残", "居家和社区养老、长者助餐、残疾人康复与托养等养老助残服务。"),
    ("A10", "禁毒防毒", "禁毒宣传教育、社区戒毒和社区康复人员的帮扶服务。"),
    ("A11", "儿童关爱", "留守儿童、困境儿童关爱保护、课后托管和家庭教育指导。"),
    ("A12", "社会工作服务", "由专业社会工作者提供的个案、小组、社区工作及社工站运营服务。"),
    ("A99", "其他", "目录未列明、经财政部门同意纳入指导性目录的其他公共服务。"),
]


def forwards(apps, schema_editor):
    ServiceCategory = apps.get_model("grants", "ServiceCategory")
    for order, (code, name, description) in enumerate(CATALOGUE, start=1):
        ServiceCategory.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "sort_order": order * 10, "active": True})


class Migration(migrations.Migration):
    dependencies = [("grants", "0007_ocds_append_only")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
