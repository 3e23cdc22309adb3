"""factory_boy factories for the shared models. Regions come from the reference migration (贵阳市 and its
districts); communities are made under them with treebeard so that paths stay right."""

import factory
from factory.django import DjangoModelFactory

from core.models import Region, User
from orgs.codes import make_credit_code
from orgs.models import Membership, Organization

PASSWORD = "Zhucheng#2026"


def district(code: str) -> Region:
    return Region.objects.get(code=code)


def community(parent: Region, code: str, name: str) -> Region:
    existing = Region.objects.filter(code=code).first()
    if existing:
        return existing
    parent.refresh_from_db()
    return parent.add_child(code=code, name=name, level=Region.Level.SUBDISTRICT)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试社会服务中心{n}")
    kind = Organization.Kind.SERVICE_INSTITUTION
    status = Organization.Status.REGISTERED
    region = factory.LazyFunction(lambda: district("520102"))
    credit_code = factory.Sequence(lambda n: make_credit_code("2", "520102", f"MA{n:07d}"))


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.HANDLER
