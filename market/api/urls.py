"""Market API under /api/v1/: accounts, cooperatives, verification, directory, reference data."""

from django.urls import path

from market.accounts import apis as apis_accounts
from market.cooperatives import apis
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
    # reference data
    path("provinces/", apis.ProvinceListApi.as_view(), name="province-list"),
    path("provinces/resolve/", apis.ProvinceResolveApi.as_view(), name="province-resolve"),
    path("provinces/<int:code>/wards/", apis.WardListApi.as_view(), name="ward-list"),
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
    path("cooperatives/<int:pk>/members/", apis.MemberListAddApi.as_view(), name="member-list"),
    path(
        "cooperatives/<int:pk>/members/<int:user_id>/",
        apis.MemberRemoveApi.as_view(),
        name="member-remove",
    ),
    path(
        "cooperatives/<int:pk>/invitations/",
        apis_invitations.InvitationListApi.as_view(),
        name="invitation-list",
    ),
    path(
        "cooperatives/<int:pk>/invitations/<int:invitation_id>/",
        apis_invitations.InvitationRevokeApi.as_view(),
        name="invitation-revoke",
    ),
    path(
        "invitations/accept/",
        apis_invitations.InvitationAcceptApi.as_view(),
        name="invitation-accept",
    ),
    path(
        "cooperatives/<int:pk>/documents/",
        apis.DocumentListUploadApi.as_view(),
        name="document-list",
    ),
    path(
        "cooperatives/<int:pk>/documents/<int:document_id>/download/",
        views.DocumentDownloadView.as_view(),
        name="document-download",
    ),
    path("cooperatives/<int:pk>/logo/", apis.CooperativeLogoApi.as_view(), name="cooperative-logo"),
    path(
        "cooperatives/<int:pk>/submit/",
        apis.CooperativeSubmitApi.as_view(),
        name="cooperative-submit",
    ),
    path(
        "cooperatives/<int:pk>/verification-events/",
        apis.VerificationHistoryApi.as_view(),
        name="verification-events",
    ),
    path(
        "cooperatives/<int:pk>/verify/",
        apis.CooperativeVerifyApi.as_view(),
        name="cooperative-verify",
    ),
    path(
        "cooperatives/<int:pk>/reject/",
        apis.CooperativeRejectApi.as_view(),
        name="cooperative-reject",
    ),
    path(
        "cooperatives/<int:pk>/suspend/",
        apis.CooperativeSuspendApi.as_view(),
        name="cooperative-suspend",
    ),
    path(
        "cooperatives/<int:pk>/reinstate/",
        apis.CooperativeReinstateApi.as_view(),
        name="cooperative-reinstate",
    ),
    path(
        "admin/verification-queue/", apis.VerificationQueueApi.as_view(), name="verification-queue"
    ),
    path("cooperatives/<str:key>/", apis.CooperativeDetailApi.as_view(), name="cooperative-detail"),
]
