from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import AuthorityMembership, ProviderMembership, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "full_name", "is_active", "is_platform_operator", "date_joined")
    list_filter = ("is_active", "is_platform_operator")
    search_fields = ("email", "full_name")
    fields = ("email", "full_name", "is_active", "is_platform_operator", "date_joined", "deactivated_at")
    readonly_fields = ("is_active", "date_joined", "deactivated_at")
    actions = ["deactivate"]

    def has_delete_permission(self, request, obj=None):
        return False  # people are deactivated, never deleted

    @admin.action(description="Deactivate the selected accounts")
    def deactivate(self, request, queryset):
        for user in queryset:
            services.user_deactivate(actor=request.user, user=user, reason="Deactivated in the admin")
        self.message_user(request, f"{queryset.count()} account(s) deactivated.", messages.SUCCESS)


class AuthorityMembershipForm(forms.ModelForm):
    class Meta:
        model = AuthorityMembership
        fields = ("user", "authority", "role")

    def clean(self):
        data = super().clean()
        user, authority, role = data.get("user"), data.get("authority"), data.get("role")
        if user and authority and role and AuthorityMembership.objects.current().filter(
            user=user, authority=authority, role=role
        ).exists():
            raise ValidationError(f"{user.email} already has that role in {authority.name}.")
        if user and not user.is_active:
            raise ValidationError("That account has been deactivated.")
        return data


@admin.register(AuthorityMembership)
class AuthorityMembershipAdmin(admin.ModelAdmin):
    """Operators give a new authority its first admin here; after that the
    authority's own admins manage their team in the service."""

    list_display = ("user", "authority", "role", "granted_at", "revoked_at")
    list_filter = ("role", "authority")
    search_fields = ("user__email", "authority__name")
    autocomplete_fields = ("user",)
    form = AuthorityMembershipForm

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = services.membership_grant(actor=request.user, authority=obj.authority,
                                            user=obj.user, role=obj.role,
                                            reason="Given by a platform operator in the admin")
        obj.pk = created.pk


@admin.register(ProviderMembership)
class ProviderMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "provider", "role", "granted_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("user__email", "provider__name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
