"""Market API under /api/v1/: accounts, cooperatives, verification, directory, reference data."""

from django.urls import path

from market.accounts import apis as apis_accounts
from market.cooperatives import apis, apis_payee
from market.cooperatives import downloads as views
from market.invitations import apis as apis_invitations

app_name = "market"
urlpatterns = [
    # accounts
    path("auth/signup/", apis_accounts.SignupApi.as_view(), name="signup"),
    path("auth/login/", apis_accounts.LoginApi.as_view(), name="login"),
    # API clients often POST without the slash; APPEND_SLASH cannot redirect a POST (500).
    path(
        "auth/login",
        apis_accounts.LoginNoSlashApi.as_view(),
        name="login-no-slash",
    ),
    path("auth/logout/", apis_accounts.LogoutApi.as_view(), name="logout"),
    path("auth/me/", apis_accounts.MeApi.as_view(), name="me"),
    path("auth/language/", apis_accounts.LanguageApi.as_view(), name="language"),
    path("auth/password-reset/", apis_accounts.PasswordResetApi.as_view(), name="password-reset"),
    path(
        "auth/password-reset/confirm/",
        apis_accounts.PasswordResetConfirmApi.as_view(),
        name="password-reset-confirm",
    ),
    path("auth/verify-email/", apis_accounts.EmailVerifyApi.as_view(), name="verify-email"),
    path(
        "auth/verify-email/send/",
        apis_accounts.EmailVerifySendApi.as_view(),
        name="verify-email-send",
    ),
    # reference data
    path("provinces/", apis.ProvinceListApi.as_view(), name="province-list"),
    path("provinces/resolve/", apis.ProvinceResolveApi.as_view(), name="province-resolve"),
    path("provinces/<id:code>/wards/", apis.WardListApi.as_view(), name="ward-list"),
    # directory and own cooperatives
    path("cooperatives/", apis.CooperativeListCreateApi.as_view(), name="cooperative-list"),
    path(
        "cooperatives/export.csv",
        views.CooperativeExportCsvView.as_view(),
        name="cooperative-export-csv",
    ),
    path(
        "cooperatives/export.json",
        views.CooperativeExportJsonView.as_view(),
        name="cooperative-export-json",
    ),
    path("me/cooperatives/", apis.MyCooperativeListApi.as_view(), name="my-cooperatives"),
    path("cooperatives/<id:pk>/members/", apis.MemberListAddApi.as_view(), name="member-list"),
    path(
        "cooperatives/<id:pk>/members/<id:user_id>/",
        apis.MemberRemoveApi.as_view(),
        name="member-remove",
    ),
    path(
        "cooperatives/<id:pk>/invitations/",
        apis_invitations.InvitationListApi.as_view(),
        name="invitation-list",
    ),
    path(
        "cooperatives/<id:pk>/invitations/<id:invitation_id>/",
        apis_invitations.InvitationRevokeApi.as_view(),
        name="invitation-revoke",
    ),
    path(
        "invitations/accept/",
        apis_invitations.InvitationAcceptApi.as_view(),
        name="invitation-accept",
    ),
    path(
        "cooperatives/<id:pk>/documents/",
        apis.DocumentListUploadApi.as_view(),
        name="document-list",
    ),
    path(
        "cooperatives/<id:pk>/documents/<id:document_id>/download/",
        views.DocumentDownloadView.as_view(),
        name="document-download",
    ),
    path("cooperatives/<id:pk>/logo/", apis.CooperativeLogoApi.as_view(), name="cooperative-logo"),
    path(
        "cooperatives/<id:pk>/submit/",
        apis.CooperativeSubmitApi.as_view(),
        name="cooperative-submit",
    ),
    path(
        "cooperatives/<id:pk>/payee-changes/",
        apis_payee.PayeeChangeListApi.as_view(),
        name="payee-change-list",
    ),
    path(
        "cooperatives/<id:pk>/payee-changes/<id:change_id>/approve/",
        apis_payee.PayeeChangeApproveApi.as_view(),
        name="payee-change-approve",
    ),
    path(
        "cooperatives/<id:pk>/payee-changes/<id:change_id>/reject/",
        apis_payee.PayeeChangeRejectApi.as_view(),
        name="payee-change-reject",
    ),
    path(
        "admin/payee-changes/",
        apis_payee.PayeeChangePendingListApi.as_view(),
        name="payee-change-pending",
    ),
    path(
        "cooperatives/<id:pk>/verification-events/",
        apis.VerificationHistoryApi.as_view(),
        name="verification-events",
    ),
    path(
        "cooperatives/<id:pk>/verify/",
        apis.CooperativeVerifyApi.as_view(),
        name="cooperative-verify",
    ),
    path(
        "cooperatives/<id:pk>/reject/",
        apis.CooperativeRejectApi.as_view(),
        name="cooperative-reject",
    ),
    path(
        "cooperatives/<id:pk>/suspend/",
        apis.CooperativeSuspendApi.as_view(),
        name="cooperative-suspend",
    ),
    path(
        "cooperatives/<id:pk>/reinstate/",
        apis.CooperativeReinstateApi.as_view(),
        name="cooperative-reinstate",
    ),
    path(
        "admin/verification-queue/", apis.VerificationQueueApi.as_view(), name="verification-queue"
    ),
    path("cooperatives/<str:key>/", apis.CooperativeDetailApi.as_view(), name="cooperative-detail"),
]
