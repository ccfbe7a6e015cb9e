"""The shared service taxonomy and client groups.
More can be added in the admin; codes are stable, names may be reworded."""

from django.db import migrations

SERVICES = [
    ("day-opportunities-building-based", "Building-based day opportunities", False,
     "Day services in a centre or hub: activities, skills, company."),
    ("community-support", "Community support", False,
     "Support to take part in community life, one to one or in groups."),
    ("employment-skills-training", "Employment, skills and training", False,
     "Work, volunteering, skills development and training."),
    ("supported-living", "Supported living", True,
     "Care and support for people in their own tenancies."),
    ("home-care", "Home care", True,
     "Personal care and support at home, domiciliary care."),
    ("mental-health-recovery", "Mental health recovery", True,
     "Recovery-focused community services for people with mental health needs."),
    ("residential-care", "Residential care", True, "Care homes, with or without nursing."),
    ("respite-short-breaks", "Respite and short breaks", True, "Short stays that give carers a break."),
]

CLIENT_GROUPS = [
    ("learning-disability", "Learning disability"),
    ("autism", "Autism"),
    ("dementia", "Dementia"),
    ("mental-health", "Mental health"),
    ("physical-disability", "Physical disability"),
    ("older-people", "Older people"),
    ("acquired-brain-injury", "Acquired brain injury"),
]


def add(apps, schema_editor):
    ServiceType = apps.get_model("shared_catalogue", "ServiceType")
    ClientGroup = apps.get_model("shared_catalogue", "ClientGroup")
    for position, (code, name, regulated, description) in enumerate(SERVICES):
        ServiceType.objects.update_or_create(code=code, defaults={
            "name": name, "cqc_regulated": regulated, "description": description, "position": position})
    for position, (code, name) in enumerate(CLIENT_GROUPS):
        ClientGroup.objects.update_or_create(code=code, defaults={"name": name, "position": position})


class Migration(migrations.Migration):
    dependencies = [("shared_catalogue", "0001_initial")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
