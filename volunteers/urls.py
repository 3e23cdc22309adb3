from django.urls import path

from . import views

app_name = "volunteers"

urlpatterns = [
    # public
    path("", views.activities, name="activities"),
    path("activities/<int:pk>/", views.activity, name="activity"),
    path("rewards/", views.rewards, name="rewards"),
    path("rankings/", views.rankings, name="rankings"),
    path("verify/<str:token>/", views.verify, name="verify"),
    # the volunteer
    path("register/", views.register, name="register"),
    path("me/", views.centre, name="centre"),
    path("me/profile/", views.profile, name="profile"),
    path("me/code/", views.my_code, name="my_code"),
    path("me/records/", views.records, name="records"),
    path("me/records/<int:pk>/correction/", views.request_correction, name="request_correction"),
    path("me/statement/", views.statement, name="statement"),
    path("me/certificates/", views.issue_certificate, name="issue_certificate"),
    path("me/certificates/<int:pk>.pdf", views.certificate_pdf, name="certificate_pdf"),
    path("me/vouchers/<int:pk>/", views.voucher, name="voucher"),
    path("me/vouchers/<int:pk>/cancel/", views.cancel_voucher, name="cancel_voucher"),
    path("shifts/<int:pk>/signup/", views.sign_up, name="sign_up"),
    path("signups/<int:pk>/cancel/", views.cancel_signup, name="cancel_signup"),
    path("shifts/<int:pk>/here/", views.shift_here, name="shift_here"),
    path("rewards/<int:pk>/redeem/", views.redeem, name="redeem"),
    # the organizer
    path("manage/", views.manage, name="manage"),
    path("manage/activities/new/", views.activity_new, name="activity_new"),
    path("manage/activities/<int:pk>/", views.manage_activity, name="manage_activity"),
    path("manage/activities/<int:pk>/shifts/new/", views.shift_new, name="shift_new"),
    path("manage/activities/<int:pk>/cancel/", views.cancel_activity, name="cancel_activity"),
    path("manage/activities/<int:pk>/approve/", views.approve_records, name="approve_records"),
    path("manage/shifts/<int:pk>/", views.roster, name="roster"),
    path("manage/scan/", views.scan, name="scan"),
    path("manage/signups/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("manage/records/<int:pk>/decide/", views.decide_record, name="decide_record"),
    path("manage/corrections/<int:pk>/decide/", views.decide_correction, name="decide_correction"),
    # the merchant
    path("merchant/", views.merchant, name="merchant"),
    path("merchant/complete/", views.merchant_complete, name="merchant_complete"),
    path("merchant/<int:merchant_pk>/rewards/new/", views.reward_form, name="reward_new"),
    path("merchant/<int:merchant_pk>/rewards/<int:pk>/", views.reward_form, name="reward_edit"),
]
