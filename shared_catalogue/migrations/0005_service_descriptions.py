"""Service descriptions are read by providers and the public: they no longer
name the background papers the taxonomy was drawn from."""

import re

from django.db import migrations


def reword(apps, schema_editor):
    ServiceType = apps.get_model("shared_catalogue", "ServiceType")
    for service in ServiceType.objects.filter(description__contains="(seed "):
        service.description = re.sub(r" \(seed 00\d(?:, Lot \d)?\)", "", service.description)
        service.save(update_fields=["description"])


class Migration(migrations.Migration):
    dependencies = [("shared_catalogue", "0004_opportunityprojection")]
    operations = [migrations.RunPython(reword, migrations.RunPython.noop)]
