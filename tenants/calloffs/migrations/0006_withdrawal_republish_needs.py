"""Sourcing requests through their whole life: withdrawal and cancellation
with a reason, packages published again linked to the first of their request,
and the need structured (client group, primary need). Packages published
again before this (no award, "publish again") are linked from their no-award
record, oldest first, so chains are complete and counted once."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def link_follow_ons(apps, schema_editor):
    NoAward = apps.get_model("calloffs", "NoAward")
    Package = apps.get_model("calloffs", "Package")
    for outcome in NoAward.objects.filter(follow_on__isnull=False).order_by("recorded_at", "pk"):
        package = Package.objects.get(pk=outcome.package_id)
        Package.objects.filter(pk=outcome.follow_on_id, republished_from__isnull=True).update(
            republished_from_id=package.pk, original_id=package.original_id or package.pk)


class Migration(migrations.Migration):

    dependencies = [
        ('agreements', '0001_initial'),
        ('calloffs', '0005_clarification_notified'),
        ('shared_catalogue', '0007_provider_projections'),
        ('tenancy', '0002_official_code_message'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Withdrawal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status_before', models.CharField(choices=[('draft', 'Draft'), ('published', 'Open for bids'), ('closed', 'Bidding closed'), ('awarded', 'Awarded'), ('no_award', 'Not awarded'), ('withdrawn', 'Withdrawn'), ('cancelled', 'Cancelled')], max_length=20)),
                ('reason', models.CharField(choices=[('person_declined', 'The person declined the support'), ('direct_payment', 'The person chose a direct payment'), ('needs_changed', "The person's needs changed"), ('no_capacity', 'No capacity in the market'), ('other', 'Another reason')], max_length=30)),
                ('note', models.TextField(blank=True, help_text='Told to every invited provider: never identifying.')),
                ('bids_unopened', models.BooleanField(default=False, help_text='Withdrawn before bidding closed: its bids stay sealed and are never opened.')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('notified_at', models.DateTimeField(blank=True, help_text='When the last invitee was e-mailed.', null=True)),
                ('notified_providers', models.JSONField(blank=True, default=list, help_text='Invited providers told so far.')),
            ],
        ),
        migrations.AddField(
            model_name='package',
            name='client_group',
            field=models.ForeignKey(blank=True, help_text="Who the support is for, in the regional catalogue's client groups.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='shared_catalogue.clientgroup'),
        ),
        migrations.AddField(
            model_name='package',
            name='original',
            field=models.ForeignKey(blank=True, help_text='The first package of the sourcing request; null on the first itself.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='calloffs.package'),
        ),
        migrations.AddField(
            model_name='package',
            name='primary_need',
            field=models.CharField(blank=True, choices=[('dementia', 'Dementia'), ('learning_disability', 'Learning disability'), ('autism', 'Autism'), ('physical_disability', 'Physical disability'), ('mental_health', 'Mental health'), ('sensory_impairment', 'Sensory impairment'), ('older_people_frailty', 'Older people: frailty'), ('other', 'Other')], max_length=30, null=True),
        ),
        migrations.AddField(
            model_name='package',
            name='republished_from',
            field=models.OneToOneField(blank=True, help_text='The package this one publishes again.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='republished_as', to='calloffs.package'),
        ),
        migrations.AlterField(
            model_name='package',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('published', 'Open for bids'), ('closed', 'Bidding closed'), ('awarded', 'Awarded'), ('no_award', 'Not awarded'), ('withdrawn', 'Withdrawn'), ('cancelled', 'Cancelled')], default='draft', max_length=20),
        ),
        migrations.AddIndex(
            model_name='package',
            index=models.Index(fields=['primary_need'], name='package_primary_need'),
        ),
        migrations.AddConstraint(
            model_name='package',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('original__isnull', True), ('republished_from__isnull', True)), models.Q(('original__isnull', False), ('republished_from__isnull', False)), _connector='OR'), name='package_chain_complete'),
        ),
        migrations.AddField(
            model_name='withdrawal',
            name='package',
            field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='withdrawal', to='calloffs.package'),
        ),
        migrations.AddField(
            model_name='withdrawal',
            name='recorded_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(link_follow_ons, migrations.RunPython.noop),
    ]
