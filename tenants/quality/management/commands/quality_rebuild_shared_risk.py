"""Rebuild the shared risk projection (public schema) from every authority's schema."""

from django.core.management.base import BaseCommand

from tenancy.models import Authority
from tenants.quality import risk


class Command(BaseCommand):
    help = ("Rebuild shared_catalogue.SharedRisk (the colours partner authorities read) from the colours recorded "
            "in every authority's schema.")

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Only these authorities (default: all).")

    def handle(self, *args, slugs, **options):
        authorities = Authority.objects.exclude(kind=Authority.Kind.PLATFORM).order_by("slug")
        if slugs:
            authorities = authorities.filter(slug__in=slugs)
        for authority in authorities:
            report = risk.rebuild_shared(authority)
            self.stdout.write(f"{report['authority']}: {report['statuses']} colours, "
                              f"{report['removed']} stale rows removed")
