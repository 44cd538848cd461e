from __future__ import annotations

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "amhp_hub.common"
    label = "common"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import pre_save

        from amhp_hub.common import security, tokens
        from amhp_hub.common.api import reject_unknown_fields

        reject_unknown_fields()

        user_logged_in.connect(security.on_user_logged_in, dispatch_uid="amhp_session_clock")
        user_login_failed.connect(security.on_login_failed, dispatch_uid="amhp_login_failed_audit")
        pre_save.connect(tokens.revoke_on_credential_change, sender=get_user_model(), dispatch_uid="amhp_token_revoke")
