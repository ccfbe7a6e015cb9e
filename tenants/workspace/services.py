"""Telling staff what is waiting for them: each person's choice per kind of
task (an e-mail straight away, or the daily digest), the immediate e-mails
and the digest. Both read the work queue (tenants.workspace.queue) once for
everyone here, and send through Django's mail, from a task."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.policy import TenantAccess, access_here
from audit.services import audit_record
from common.errors import Invalid, require
from tenancy.routing import tenant_reverse
from tenancy.selectors import authority_current
from tenants.workspace.models import (
    ALWAYS_IMMEDIATE,
    Delivery,
    DigestSent,
    NotificationPreference,
    TaskKind,
    TaskNotice,
)
from tenants.workspace.queue import Task, grouped, tasks_open

# A task that began longer ago than this is not e-mailed straight away (it
# is in the digest and on the home page): turning immediate e-mails on, or
# the first sweep after an upgrade, does not send a flood of old news.
IMMEDIATE_WITHIN = timedelta(days=2)


# --- Preferences --------------------------------------------------------------------

def preferences_for(user) -> dict[str, str]:
    """How the person hears about each kind of task here (every kind, in order)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "delivery"))
    return {kind.value: Delivery.IMMEDIATE.value if kind in ALWAYS_IMMEDIATE
            else chosen.get(kind.value, Delivery.DIGEST.value) for kind in TaskKind}


def preferences_set(*, actor, choices: dict[str, str]) -> dict[str, str]:
    """Change how the person hears about some kinds of task here. Kinds that
    are always e-mailed straight away cannot be put in the digest."""
    require(access_here(actor).is_staff, "Only the authority's staff have a work queue here.")
    errors = {}
    for kind, delivery in choices.items():
        if kind not in TaskKind.values:
            errors[kind] = "There is no such kind of task."
        elif delivery not in Delivery.values:
            errors[kind] = "Choose an e-mail straight away or the daily digest."
        elif kind in ALWAYS_IMMEDIATE and delivery != Delivery.IMMEDIATE:
            errors[kind] = f"{TaskKind(kind).label} are always e-mailed straight away."
    if errors:
        raise Invalid(errors)
    before = preferences_for(actor)
    changed = {k: v for k, v in choices.items() if k not in ALWAYS_IMMEDIATE and before[k] != v}
    if changed:
        with transaction.atomic():
            for kind, delivery in changed.items():
                NotificationPreference.objects.update_or_create(
                    user=actor, kind=kind, defaults={"delivery": delivery, "updated_at": timezone.now()})
            audit_record(actor=actor, action="notifications.preferences_changed",
                         obj=("user", actor.pk, actor.email),
                         before={k: before[k] for k in changed}, after=changed)
    return preferences_for(actor)


# --- Who works here -------------------------------------------------------------------

def staff_here(authority) -> list[tuple[object, TenantAccess]]:
    """Everyone with a usable staff role here (in a partnership, its members'
    staff too), with what they may do: two queries, however many people."""
    from allauth.mfa.models import Authenticator

    from accounts.models import AuthorityMembership

    roles: dict[int, set[str]] = {}
    users = {}
    for membership in (AuthorityMembership.objects.current()
                       .filter(authority__is_active=True, user__is_active=True)
                       .filter(Q(authority=authority) | Q(authority__partnerships=authority))
                       .select_related("user")):
        roles.setdefault(membership.user_id, set()).add(membership.role)
        users[membership.user_id] = membership.user
    with_mfa = set(Authenticator.objects.filter(type=Authenticator.Type.TOTP, user_id__in=list(users))
                   .values_list("user_id", flat=True))
    return [(users[pk], TenantAccess(user_id=pk, authority_id=authority.pk, authority_name=authority.name,
                                     staff_roles=frozenset(roles[pk]), mfa_enabled=True))
            for pk in sorted(with_mfa)]


def _all_preferences(user_ids) -> dict[tuple[int, str], str]:
    return {(u, k): d for u, k, d in NotificationPreference.objects.filter(user_id__in=user_ids)
            .values_list("user_id", "kind", "delivery")}


def _delivery(preferences, user_id: int, kind: str) -> str:
    if kind in ALWAYS_IMMEDIATE:
        return Delivery.IMMEDIATE
    return preferences.get((user_id, kind), Delivery.DIGEST)


def _links(authority) -> dict:
    return {"home_url": tenant_reverse(authority, "workspace:staff-home", absolute=True),
            "preferences_url": tenant_reverse(authority, "workspace:notifications", absolute=True)}


# --- Straight away ----------------------------------------------------------------------

def tasks_notify(*, now: datetime | None = None) -> int:
    """E-mail each new task to the people who do it and want to hear
    straight away (and, whatever they chose, an application given to them,
    a new application, a decision falling due). Each task once per person,
    however often this runs; run after the changes that make such tasks and
    every few minutes. Returns the number of e-mails sent."""
    now = now or timezone.now()
    authority = authority_current()
    staff = staff_here(authority)
    if not staff:
        return 0
    preferences = _all_preferences([user.pk for user, _ in staff])
    tasks = tasks_open(authority=authority, today=timezone.localdate(now))
    sent = 0
    for user, access in staff:
        wanted = [t for t in tasks if t.for_person(access)
                  and _delivery(preferences, user.pk, t.kind) == Delivery.IMMEDIATE
                  and (t.since is None or t.since >= now - IMMEDIATE_WITHIN)]
        if not wanted:
            continue
        told = set(TaskNotice.objects.filter(user=user, key__in=[_notice_key(t) for t in wanted])
                   .values_list("key", flat=True))
        for task in wanted:
            if _notice_key(task) not in told:
                sent += _notify_one(user, authority, task)
    return sent


def _notice_key(task: Task) -> str:
    return f"{task.kind}/{task.key}"[:80]


def _notify_one(user, authority, task: Task) -> int:
    with transaction.atomic():
        _, created = TaskNotice.objects.get_or_create(user=user, key=_notice_key(task))
        if not created:  # another sweep told them meanwhile
            return 0
        always = task.kind in ALWAYS_IMMEDIATE
        body = render_to_string("workspace/email/task.txt", {
            "user": user, "authority": authority, "task": task, "always": always,
            "url": f"{settings.SITE_URL}{task.path}", **_links(authority)})
        # Sent inside the transaction: if sending fails, the notice is not kept and the next sweep tries again.
        send_mail(subject=f"{task.title} ({authority.name})", message=body, from_email=None,
                  recipient_list=[user.email])
    return 1


def after_change() -> None:
    """Call from a service, inside its transaction, when something may have
    made tasks that are e-mailed straight away (an evaluator assigned, an
    application received): the sweep is recorded in the outbox with the
    change and runs after the commit (outbox.services)."""
    from outbox.services import outbox_add
    from tenants.workspace.tasks import tasks_notify_task

    outbox_add(tasks_notify_task)


# --- The daily digest ---------------------------------------------------------------------

def digest_send(*, today: date | None = None) -> int:
    """One e-mail to each person here with the tasks of the kinds they get
    in a digest, soonest due first; none to someone with nothing waiting.
    Once a day per person, however often it runs. Returns how many were sent."""
    today = today or timezone.localdate()
    authority = authority_current()
    staff = staff_here(authority)
    if not staff:
        return 0
    preferences = _all_preferences([user.pk for user, _ in staff])
    tasks = tasks_open(authority=authority, today=today)
    done = set(DigestSent.objects.filter(day=today, user_id__in=[u.pk for u, _ in staff])
               .values_list("user_id", flat=True))
    sent = 0
    for user, access in staff:
        if user.pk in done:
            continue
        mine = [t for t in tasks if t.for_person(access)]
        digest = [t for t in mine if _delivery(preferences, user.pk, t.kind) == Delivery.DIGEST]
        if not digest:
            continue
        with transaction.atomic():
            _, created = DigestSent.objects.get_or_create(user=user, day=today, defaults={"tasks": len(digest)})
            if not created:
                continue
            body = render_to_string("workspace/email/digest.txt", {
                "user": user, "authority": authority, "groups": grouped(digest), "count": len(digest),
                "others": len(mine) - len(digest), "today": today, "site_url": settings.SITE_URL,
                **_links(authority)})
            send_mail(subject=f"{len(digest)} task{'s' if len(digest) != 1 else ''} waiting for you in "
                              f"{authority.name}", message=body, from_email=None, recipient_list=[user.email])
        sent += 1
    return sent
