from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenancy.roles import as_owner, grants_ensure
from tenancy.services import platform_ensure, template_schema_ensure


class Command(BaseCommand):
    help = (
        "Migrate the public schema, the template schema new authorities are cloned "
        "from, and every authority's schema, as the owner role (DATABASE_OWNER_URL); grant the "
        "application's role what it needs; make sure the regional site exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--executor", default=None,
                            help="django-tenants executor: standard or multiprocessing.")

    def handle(self, *args, executor=None, **options):
        with as_owner():
            self.migrate(executor, options["verbosity"])
        self.stdout.write(self.style.SUCCESS("All schemas are up to date."))

    def migrate(self, executor, verbosity):
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        template_schema_ensure(verbosity=verbosity)
        tenant_options = {"executor": executor} if executor else {}
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity,
                     **tenant_options)
        grants_ensure()
        platform_ensure()
