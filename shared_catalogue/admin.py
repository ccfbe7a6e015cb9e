from django.contrib import admin

from shared_catalogue.models import Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("name", "legal_name", "kind", "is_active")
    search_fields = ("name", "legal_name")
