"""Rebuild the grant and joint-placement projections (public schema) from every authority's schema."""

from django.core.management.base import BaseCommand

from tenancy.models import Authority
from tenants.agreements import grants
from tenants.placements import joint


class Command(BaseCommand):
    help = ("Rebuild shared_catalogue.GrantProjection and JointPlacementProjection from the grants and "
            "placements in every authority's schema.")

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Only these authorities (default: all).")

    def handle(self, *args, slugs, **options):
        authorities = Authority.objects.exclude(kind=Authority.Kind.PLATFORM).order_by("slug")
        if slugs:
            authorities = authorities.filter(slug__in=slugs)
        for authority in authorities:
            made, seen = grants.rebuild(authority), joint.rebuild(authority)
            self.stdout.write(f"{authority.slug}: {made['grants']} grants, {seen['joint_placements']} joint "
                              "placements")
