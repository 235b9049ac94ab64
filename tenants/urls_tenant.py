from django.urls import path

from tenants.views import auth, invitations, pages, settings, staff

app_name = "tenants"

urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("auth/handoff/", auth.handoff, name="handoff"),
    path("auth/handoff/start/", auth.handoff_start, name="handoff-start"),
    path("switch/<slug:slug>/", auth.switch_tenant, name="switch"),
    path("profile/", pages.profile, name="profile"),
    path("profile/password/", pages.profile_password, name="profile-password"),
    path("staff/", staff.staff_list, name="staff"),
    path("staff/<int:pk>/approve/", staff.staff_approve, name="staff-approve"),
    path("staff/<int:pk>/reject/", staff.staff_reject, name="staff-reject"),
    path("staff/<int:pk>/disable/", staff.staff_disable, name="staff-disable"),
    path("staff/<int:pk>/enable/", staff.staff_enable, name="staff-enable"),
    path("staff/<int:pk>/edit/", staff.staff_edit, name="staff-edit"),
    path("staff/invite/", invitations.invitation_new, name="invitation-new"),
    path("staff/invitations/<int:pk>/revoke/", invitations.invitation_revoke_view, name="invitation-revoke"),
    path("staff/invitations/<int:pk>/resend/", invitations.invitation_resend_view, name="invitation-resend"),
    path("invitation/<str:token>/", invitations.invitation_open, name="invitation"),
    path("settings/", settings.settings_page, name="settings"),
    path("settings/credentials/<slug:kind>/", settings.credential_edit, name="credential-edit"),
    path("settings/credentials/<slug:kind>/delete/", settings.credential_delete, name="credential-delete"),
    path("password-reset/", auth.password_reset, name="password-reset"),
    path("password-reset/sent/", auth.password_reset_done, name="password-reset-done"),
    path("password-reset/<uidb64>/<token>/", auth.password_reset_confirm, name="password-reset-confirm"),
    path("password-reset/done/", auth.password_reset_complete, name="password-reset-complete"),
]
