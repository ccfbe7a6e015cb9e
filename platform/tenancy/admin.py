from django import forms
from django.contrib import admin, messages

from tenancy.models import Authority, Region
from tenancy.services import authority_create, authority_update


class AuthorityForm(forms.ModelForm):
    class Meta:
        model = Authority
        fields = ("kind", "name", "slug", "official_code", "region", "members", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in Authority.Kind.choices if c[0] != Authority.Kind.PLATFORM]
        self.fields["members"].queryset = Authority.objects.filter(
            kind__in=[Authority.Kind.COUNCIL, Authority.Kind.NHS_BODY]
        )
        if self.instance.pk:
            self.fields["kind"].disabled = True
            self.fields["slug"].disabled = True

    def clean(self):
        data = super().clean()
        kind, members = data.get("kind"), data.get("members")
        if kind == Authority.Kind.PARTNERSHIP and (members is None or len(members) < 2):
            self.add_error("members", "A partnership needs at least two member authorities.")
        if kind != Authority.Kind.PARTNERSHIP and members:
            self.add_error("members", "Only a partnership has member authorities.")
        return data


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    """Adding an authority here creates its schema, cloned from the template."""

    form = AuthorityForm
    list_display = ("name", "kind", "slug", "official_code", "region", "is_active")
    list_filter = ("kind", "is_active", "region")
    search_fields = ("name", "slug", "official_code")
    readonly_fields = ("schema_name", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(kind=Authority.Kind.PLATFORM)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            authority_update(actor=request.user, authority=obj, name=data["name"],
                             official_code=data["official_code"], region=data["region"],
                             is_active=data["is_active"], members=list(data["members"]),
                             reason="Changed in the admin")
        else:
            created = authority_create(
                actor=request.user, kind=data["kind"], name=data["name"], slug=data["slug"],
                official_code=data["official_code"], region=data["region"],
                members=list(data["members"]), reason="Created in the admin",
            )
            obj.pk, obj.schema_name = created.pk, created.schema_name
            messages.info(request, f"Schema {created.schema_name} was cloned from the template.")

    def save_related(self, request, form, formsets, change):
        """Members were set by the service, in its transaction."""


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "ons_code")
