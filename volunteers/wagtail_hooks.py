"""The officers' side of 爱心银行 in the Wagtail admin (menu group 爱心银行): service categories and their points
rule, 爱心商家 and their members, volunteers of the jurisdiction (ID numbers masked; the full number on request,
audited) and 好市民 awards. Scoped to the officer's jurisdiction (404 outside it); nothing is deleted here."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import CreateView, EditView, InspectView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from core import audit
from core.admin_exports import ExportingIndexView
from core.admin_policies import ByRolePolicy, OfficerViewPolicy, is_officer
from core.exceptions import DomainError
from core.permissions import can_administer_region

from . import services
from .admin_forms import AwardForm, MerchantForm, MerchantMemberForm
from .exceptions import PermissionDenied
from .models import Account, Award, Merchant, ServiceCategory, ServiceRecord, Transfer, Volunteer
from .pdf import format_hours
from .permissions import awards_for_officer, merchants_for_officer, volunteers_for_officer

# Views a viewset keeps: never delete, copy, history or usage (changes go through services and the audit log).
LISTING = {"index", "index_results"}


class CategoryPolicy(ByRolePolicy):
    """Officers see the points rules; only a superuser sets them."""

    actions = {"view": "officer", "add": "superuser", "change": "superuser"}


class MerchantPolicy(ByRolePolicy):
    """Officers add merchants and edit those of their jurisdiction."""

    actions = {"view": "officer", "add": "officer", "change": "officer"}

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "change":
            return is_officer(user) and can_administer_region(user, instance.region)
        return self.user_has_permission(user, action)

    def instances_user_has_permission_for(self, user, action):
        return merchants_for_officer(user) if is_officer(user) else Merchant.objects.none()


class AwardPolicy(ByRolePolicy):
    """Officers confer awards; an award is never edited or withdrawn here."""

    actions = {"view": "officer", "add": "officer"}


def _routes(viewset, names, extra=()):
    return [p for p in ModelViewSet.get_urlpatterns(viewset) if p.name in names] + list(extra)


def _no_extra_pages(viewset, kwargs, **more):
    """View kwargs without the delete, history and usage pages (no URLs for them)."""
    return ModelViewSet.get_common_view_kwargs(
        viewset, **{"history_url_name": None, "usage_url_name": None, "delete_url_name": None, **more, **kwargs}
    )


# --- 志愿服务类别 -----------------------------------------------------------------------------------------
class AuditedCategorySave:
    """A points rule and its audit row are saved together (activities keep the rate they copied)."""

    audit_action = ""

    @transaction.atomic
    def save_instance(self):
        category = super().save_instance()
        audit.record(f"volunteers.category.{self.audit_action}", actor=self.request.user, obj=category,
                     after={"name": category.name, "points_per_hour": category.points_per_hour})
        return category


class CategoryCreateView(AuditedCategorySave, CreateView):
    audit_action = "create"


class CategoryEditView(AuditedCategorySave, EditView):
    audit_action = "edit"


class CategoryViewSet(ModelViewSet):
    model = ServiceCategory
    icon = "tag"
    menu_label = _("志愿服务类别")
    add_view_class = CategoryCreateView
    edit_view_class = CategoryEditView
    copy_view_enabled = False
    inspect_view_enabled = False
    index_view_class = ExportingIndexView
    # The name links to the edit form for a superuser and is plain text for officers (they may only look).
    list_display = ["name", "code", "points_per_hour", "description", "order"]
    list_export = ["name", "code", "points_per_hour", "description", "order"]
    export_filename = "志愿服务类别"
    panels = [FieldRowPanel([FieldPanel("name"), FieldPanel("code")]), FieldPanel("points_per_hour"),
              FieldPanel("description"), FieldPanel("order")]

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"add", "edit"})


# --- 爱心商家 --------------------------------------------------------------------------------------------
class MerchantIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return merchants_for_officer(self.request.user).annotate(
            member_count=Count("members", distinct=True), reward_count=Count("rewards", distinct=True)
        )


class MerchantCreateView(CreateView):
    @transaction.atomic  # the merchant and its audit row together
    def save_instance(self):
        merchant = super().save_instance()
        audit.record("volunteers.merchant.create", actor=self.request.user, obj=merchant, region=merchant.region,
                     after={"name": merchant.name, "region": merchant.region.code})
        return merchant


class MerchantEditView(EditView):
    def get_queryset(self):
        return merchants_for_officer(self.request.user)

    @transaction.atomic  # the change and its audit row together
    def save_instance(self):
        merchant = super().save_instance()
        audit.record("volunteers.merchant.edit", actor=self.request.user, obj=merchant, region=merchant.region,
                     after={"name": merchant.name, "region": merchant.region.code, "active": merchant.active})
        return merchant


class MerchantInspectView(InspectView):
    """The merchant, its members and rewards, and the 添加经办人 form (POST here; the service adds the member)."""

    template_name = "volunteers/admin/merchant.html"

    def get_object(self, queryset=None):
        return get_object_or_404(merchants_for_officer(self.request.user), pk=unquote(str(self.pk)))

    def post(self, request, *args, **kwargs):
        form = MerchantMemberForm(request.POST)
        if form.is_valid():
            try:
                services.add_merchant_member(self.object, form.user, acting_user=request.user)
            except DomainError as error:
                form.add_error("phone", error.message)
            else:
                messages.success(request, f"已添加经办人：{form.user.name or form.user.masked_phone}，并授予爱心商家角色。")
                return redirect("volunteer_merchants:inspect", self.object.pk)
        return self.render_to_response(self.get_context_data(member_form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        merchant = self.object
        context.update({
            "merchant": merchant,
            "members": merchant.members.order_by("name", "pk"),
            "rewards": merchant.rewards.annotate(
                issued=Count("vouchers", filter=Q(vouchers__status="issued")),
                redeemed=Count("vouchers", filter=Q(vouchers__status="redeemed")),
            ).order_by("-active", "points_price", "pk"),
            "member_form": kwargs.get("member_form") or MerchantMemberForm(),
            "edit_url": reverse("volunteer_merchants:edit", args=[merchant.pk])
            if can_administer_region(self.request.user, merchant.region) else "",
        })
        return context


class MerchantViewSet(ModelViewSet):
    model = Merchant
    icon = "site"
    menu_label = _("爱心商家")
    index_view_class = MerchantIndexView
    add_view_class = MerchantCreateView
    edit_view_class = MerchantEditView
    inspect_view_class = MerchantInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    search_fields = ["name", "address"]
    list_per_page = 30
    list_export = ["name", "region", "address", "contact_phone", "member_count", "reward_count", "active", "joined_at"]
    export_headings = {"member_count": "经办人数", "reward_count": "回馈数"}
    export_filename = "爱心商家"
    list_display = [
        TitleColumn("name", label=_("商家名称"), url_name="volunteer_merchants:inspect"),
        Column("region", label=_("所在区划")),
        Column("contact_phone", label=_("联系电话")),
        Column("member_count", label=_("经办人")),
        Column("reward_count", label=_("回馈")),
        Column("active", label=_("合作中"), accessor=lambda m: "是" if m.active else "否"),
        DateColumn("joined_at", label=_("加入时间"), sort_key="joined_at"),
    ]
    edit_handler = ObjectList([
        FieldPanel("name"), FieldRowPanel([FieldPanel("region"), FieldPanel("contact_phone")]), FieldPanel("address"),
        FieldPanel("introduction"), FieldPanel("active"),
    ], base_form_class=MerchantForm)

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"add", "edit", "inspect"})


# --- 志愿者 ----------------------------------------------------------------------------------------------
class VolunteerIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return volunteers_for_officer(self.request.user)


class VolunteerInspectView(InspectView):
    """A volunteer of the jurisdiction: the ID number masked, the full number on a POST (audited by the service)
    and on that response only; balance, record counts and recent transfers."""

    template_name = "volunteers/admin/volunteer.html"

    def get_object(self, queryset=None):
        return get_object_or_404(volunteers_for_officer(self.request.user), pk=unquote(str(self.pk)))

    def post(self, request, *args, **kwargs):
        try:
            revealed = services.reveal_id_number(self.object, acting_user=request.user)
        except PermissionDenied as error:
            messages.error(request, error.message)
            return redirect("volunteer_admin:inspect", self.object.pk)
        return self.render_to_response(self.get_context_data(revealed_id_number=revealed))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        volunteer = self.object
        account = Account.objects.filter(volunteer=volunteer).first()
        transfers = []
        if account is not None:
            rows = Transfer.objects.filter(Q(debit=account) | Q(credit=account)).order_by("-created_at", "-pk")[:10]
            transfers = [(row, row.amount if row.credit_id == account.pk else -row.amount) for row in rows]
        counts = volunteer.records.aggregate(
            pending=Count("pk", filter=Q(status=ServiceRecord.Status.PENDING)),
            approved=Count("pk", filter=Q(status=ServiceRecord.Status.APPROVED)),
            declined=Count("pk", filter=Q(status=ServiceRecord.Status.DECLINED)),
            approved_minutes=Sum("minutes", filter=Q(status=ServiceRecord.Status.APPROVED)),
        )
        context.update({
            "volunteer": volunteer,
            "revealed_id_number": kwargs.get("revealed_id_number", ""),
            "balance": account.balance if account is not None else 0,
            "counts": counts,
            "approved_hours": format_hours((counts["approved_minutes"] or 0) / 60),
            "transfers": transfers,
            "awards": volunteer.awards.select_related("region").order_by("-year"),
            "certificates": volunteer.certificates.order_by("-issued_at")[:10],
        })
        return context


class VolunteerViewSet(ModelViewSet):
    model = Volunteer
    icon = "user"
    menu_label = _("志愿者")
    index_view_class = VolunteerIndexView
    inspect_view_class = VolunteerInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["skills"]  # required by ModelViewSet; the form views are not routed
    inspect_view_fields = ["number", "real_name", "region", "registered_at"]  # never the raw ID number
    search_fields = ["number", "real_name"]
    list_per_page = 50
    # The ID number masked, as the list shows it; the full number only on the volunteer's page, on request, audited.
    list_export = ["number", "real_name", "masked_id_number", "region", "skills", "registered_at"]
    export_headings = {"masked_id_number": "证件号码（脱敏）"}
    export_filename = "志愿者"
    list_display = [
        TitleColumn("number", label=_("志愿者编号"), url_name="volunteer_admin:inspect"),
        Column("real_name", label=_("姓名")),
        Column("masked_id_number", label=_("证件号码")),
        Column("region", label=_("所在区划")),
        DateColumn("registered_at", label=_("注册时间"), sort_key="registered_at"),
    ]

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs, add_url_name=None, edit_url_name=None)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"inspect"})


# --- 好市民表彰 ------------------------------------------------------------------------------------------
class AwardIndexView(ExportingIndexView):
    def get_base_queryset(self):
        return awards_for_officer(self.request.user)


class AwardCreateView(CreateView):
    """Confer through the service (bonus points credited once); its errors go next to the field they concern."""

    FIELDS = {"volunteer": "volunteer_number"}

    def form_valid(self, form):
        self.form = form
        data = form.cleaned_data
        try:
            self.object = services.confer_award(
                acting_user=self.request.user, volunteer=form.volunteer, year=data["year"], region=data["region"],
                title=data["title"], citation=data.get("citation", ""), bonus_points=data.get("bonus_points") or 0,
            )
        except PermissionDenied as error:
            form.add_error("region", error.message)
        except DomainError as error:
            field = self.FIELDS.get(getattr(error, "field", None), getattr(error, "field", None))
            form.add_error(field if field in form.fields else None, error.message)
        else:
            messages.success(self.request, f"已授予 {self.object.volunteer.real_name}（{self.object.volunteer.number}）"
                                           f"{self.object.year} 年度“{self.object.title}”称号。")
            return redirect(self.get_success_url())
        self.produced_error_message = self.get_error_message()
        return self.form_invalid(form)

    def get_success_url(self):
        return reverse("volunteer_awards:index")


class AwardViewSet(ModelViewSet):
    model = Award
    icon = "success"
    menu_label = _("好市民表彰")
    index_view_class = AwardIndexView
    add_view_class = AwardCreateView
    copy_view_enabled = False
    inspect_view_enabled = False
    list_per_page = 30
    list_export = ["year", "title", "volunteer.real_name", "volunteer.number", "region", "bonus_points", "citation",
                   "conferred_by", "conferred_at"]
    export_headings = {"volunteer.real_name": "志愿者", "volunteer.number": "志愿者编号"}
    export_filename = "好市民表彰"
    list_display = [
        Column("year", label=_("年度")),
        Column("title", label=_("称号")),
        Column("volunteer_name", label=_("志愿者"), accessor=lambda a: f"{a.volunteer.real_name}（{a.volunteer.number}）"),
        Column("region", label=_("授予区划")),
        Column("bonus_points", label=_("奖励积分")),
        Column("conferred_by", label=_("授予人")),
        DateColumn("conferred_at", label=_("授予时间"), sort_key="conferred_at"),
    ]
    edit_handler = ObjectList([
        FieldRowPanel([FieldPanel("volunteer_number"), FieldPanel("year")]),
        FieldRowPanel([FieldPanel("region"), FieldPanel("title")]),
        FieldPanel("citation"), FieldPanel("bonus_points"),
    ], base_form_class=AwardForm)

    def get_common_view_kwargs(self, **kwargs):
        return _no_extra_pages(self, kwargs, edit_url_name=None)

    def get_urlpatterns(self):
        return _routes(self, LISTING | {"add"})


register_permission_policy(ServiceCategory, CategoryPolicy(ServiceCategory))
register_permission_policy(Merchant, MerchantPolicy(Merchant))
register_permission_policy(Volunteer, OfficerViewPolicy(Volunteer))
register_permission_policy(Award, AwardPolicy(Award))


class LoveBankGroup(ViewSetGroup):
    menu_label = _("爱心银行")
    menu_icon = "circle-plus"
    menu_order = 230
    items = (
        VolunteerViewSet("volunteer_admin", url_prefix="volunteers"),
        AwardViewSet("volunteer_awards", url_prefix="volunteer-awards"),
        MerchantViewSet("volunteer_merchants", url_prefix="merchants"),
        CategoryViewSet("volunteer_categories", url_prefix="volunteer-categories"),
    )


@hooks.register("register_admin_viewset")
def register_love_bank():
    return LoveBankGroup()
