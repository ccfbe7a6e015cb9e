"""Sealed bids (RULES.md, Directive 2014/24 Annex IV): before the deadline
nobody but the bidder's own people can read a bid, whatever the channel, nor
anything derived from it, nor who has bid.

A bid's content is stored encrypted (Fernet, with a key derived per package
from BID_SEALING_KEY; older keys in BID_SEALING_KEY_FALLBACKS still open what
they sealed), so the admin, an export, a task or a raw query sees ciphertext.
Reading it goes through `read_bid`, which decides and records every attempt
(SealedAccess, and the audit trail when refused). At closing the content is
opened into plain fields for evaluation.

A receipt's digest is an HMAC of the content keyed with the bid's receipt key:
a random secret kept only inside the sealed record and shown to the bidder, so
the bidder can check the digest and nobody else can test a guessed price
against it. What happens to a bid before the deadline (submitted, revised,
withdrawn, a draft saved) is recorded in the audit trail as one kind of event
on the package, its details (who, which bid, when, the digest) sealed with the
bids; closing appends a `bids.opened` event that reveals them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from decimal import Decimal

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from accounts.policy import access_compute
from accounts.roles import AuthorityRole
from audit.services import audit_record
from tenancy.selectors import authority_current

OPEN_STATUSES = ("closed", "awarded", "no_award")
WITHDRAWN_UNOPENED = ("This package was withdrawn before bidding closed: its bids are never opened, by anyone. "
                      "This attempt has been recorded.")
NOT_YOURS = "You can only read your own organisation's bids; this attempt has been recorded."
READERS = (AuthorityRole.COMMISSIONER, AuthorityRole.BROKER, AuthorityRole.EVALUATOR)
SEALED_ACTIVITY = "bid.sealed_activity"


def is_reader(access, package) -> bool:
    """Who reads a package's bids once bidding has closed: the authority's
    brokers, commissioners and evaluators; and, for a call-off made under a
    grant, the granted body's brokers and commissioners (the same seal, the
    same record of every attempt)."""
    from tenants.calloffs import policy

    return access.has_role(*READERS) or policy.can_source_package(access, package)
OPENED = "bids.opened"
RECEIPT_KEY = "_receipt_key"
_PAD = 512  # sealed audit details are padded, so their length does not tell a submission from a withdrawal


class SealedBidder:
    """The actor shown on a sealed bid event: who it was is sealed with the bids."""

    pk = None
    email = "a bidder (sealed until the deadline)"


def canonical(content: dict) -> bytes:
    def default(value):
        if isinstance(value, Decimal):
            return str(value)
        return value.isoformat()

    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=default).encode()


def receipt_key_new() -> str:
    return secrets.token_urlsafe(32)


def receipt_digest(content: dict, key: str) -> str:
    """HMAC-SHA256 of the canonical content, keyed with the bid's receipt key.
    Without the key (sealed, and on the bidder's receipt) no guess can be tested."""
    return hmac.new(key.encode(), canonical(content), hashlib.sha256).hexdigest()


def _derived(master: str, info: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"jointly-sealed-bids",
               info=info.encode()).derive(master.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _identity(*, create: bool):
    """This authority's sealing identity (calloffs.models.SealingIdentity),
    made with the first sealed bid; None when nothing has been sealed here."""
    from tenants.calloffs.models import SealingIdentity

    identity = SealingIdentity.objects.filter(pk=1).first()
    if identity is None and create:
        with connection.cursor() as cursor:  # two first bids at once: one identity, both use it
            cursor.execute(f"INSERT INTO {SealingIdentity._meta.db_table} (id, key_id, legacy_schema, created_at) "
                           "VALUES (1, %s, '', now()) ON CONFLICT (id) DO NOTHING", [secrets.token_urlsafe(32)])
        identity = SealingIdentity.objects.get(pk=1)
    return identity


def _fernet(package_id: int, *, sealing: bool = False) -> MultiFernet:
    """Seals with the current key; opens with the current or any older one.

    Version 2 derives each package's key from the authority's sealing
    identity, kept in its schema, so a restore under another schema name
    opens what was sealed. Version 1 derived it from the schema's name; an
    authority that sealed under it keeps that name in its identity, and its
    version-1 keys come after the others, to open what they sealed."""
    masters = [master for master in (settings.BID_SEALING_KEY, *getattr(settings, "BID_SEALING_KEY_FALLBACKS", ()))
               if master]
    identity = _identity(create=sealing)
    infos = [f"authority:{identity.key_id}:package:{package_id}"] if identity else []
    if identity is None or identity.legacy_schema:
        infos.append(f"{identity.legacy_schema if identity else connection.schema_name}:package:{package_id}")
    return MultiFernet([_derived(master, info) for info in infos for master in masters])


def seal(package_id: int, content: dict, *, receipt_key: str) -> bytes:
    return _fernet(package_id, sealing=True).encrypt(canonical({**content, RECEIPT_KEY: receipt_key}))


def _sealed_record(bid) -> dict:
    return json.loads(_fernet(bid.package_id).decrypt(bytes(bid.sealed)))


def unseal(bid) -> dict:
    """The bid's content (without its receipt key)."""
    record = _sealed_record(bid)
    record.pop(RECEIPT_KEY, None)
    return record


def receipt_key(bid) -> str | None:
    """The bid's receipt key, from inside its sealed record: for the bidder's
    own people only (and the services that seal it again)."""
    if bid is None or not bid.sealed:
        return None
    return _sealed_record(bid).get(RECEIPT_KEY)


def sealed_event(*, package, action: str, actor, bid, **details) -> None:
    """Record what happened to a bid before the deadline without saying
    which bid, whose, or what: one kind of event on the package, its details
    encrypted with the package's sealing key until closing opens them."""
    payload = canonical({"action": action, "bid": bid.pk, "provider": bid.provider_id,
                         "by": getattr(actor, "pk", None), "by_email": getattr(actor, "email", ""), **details})
    payload += b" " * (-len(payload) % _PAD)
    audit_record(actor=SealedBidder(), action=SEALED_ACTIVITY, obj=package,
                 context={"sealed": _fernet(package.pk, sealing=True).encrypt(payload).decode()})


def sealed_events_open(package) -> list[dict]:
    """The sealed bid events of a package, opened (at closing)."""
    from audit.models import AuditEvent

    events = AuditEvent.objects.filter(action=SEALED_ACTIVITY, object_type=package._meta.label_lower,
                                       object_id=str(package.pk)).order_by("id")
    fernet = _fernet(package.pk)
    return [{"event": event.pk, **json.loads(fernet.decrypt(event.context["sealed"].encode()))} for event in events]


def bids_open(package) -> bool:
    """Whether the package's bids have been opened: bidding closed (and
    afterwards awarded, not awarded, or withdrawn). A package withdrawn before
    closing never opens its bids."""
    return package.status in OPEN_STATUSES or (package.status == "withdrawn" and package.closed_at is not None)


def closing(package, now=None) -> bool:
    """The deadline has passed but the package has not closed yet: the
    closing task is opening the bids (or, after a failure, will again)."""
    return package.status == "published" and (now or timezone.now()) >= package.bid_deadline


def sealed_message(package, now=None) -> str:
    """The refusal before bids open: before the deadline, naming it; after
    it, saying that closing is in progress."""
    if package.status in ("withdrawn", "cancelled"):
        return WITHDRAWN_UNOPENED
    deadline = timezone.localtime(package.bid_deadline)
    if closing(package, now):
        if package.close_failed_at:
            return (f"Bidding closed at {deadline:%H:%M} on {deadline:%-d %B %Y}, but opening the bids failed and "
                    "is being retried; the operators have been alerted. The bids stay sealed until it succeeds.")
        return (f"Bidding closed at {deadline:%H:%M} on {deadline:%-d %B %Y}: closing is in progress, and the bids "
                "will be open to read within a minute or so.")
    return (f"Bids are sealed until the deadline ({deadline:%-d %B %Y %H:%M}); "
            "this attempt has been recorded.")


def _sealed_reason(package) -> str:
    if package.status in ("withdrawn", "cancelled"):
        return "withdrawn before closing: never opened"
    return "sealed until the deadline"


def _actor(user):
    return user if getattr(user, "pk", None) else None


def _refused(package, bids, *, user, channel: str, reason: str) -> None:
    """Record a refused attempt: each bid's SealedAccess row (kept apart from
    staff), and one audit event on the package that names no bid, so the trail
    tells neither who has bid nor how many."""
    from tenants.calloffs.models import SealedAccess

    SealedAccess.objects.bulk_create([SealedAccess(bid=bid, user=_actor(user), channel=channel, allowed=False,
                                                   reason=reason) for bid in bids])
    audit_record(actor=_actor(user), action="bid.read_refused", obj=package, reason=reason,
                 context={"channel": channel, "package": package.reference})


def read_bid(bid, *, user, channel: str, access=None) -> dict:
    """A bid's content, for its own organisation at any time, and for the
    authority's brokers, commissioners and evaluators once bidding has
    closed. Every attempt is recorded; a refused one in the audit trail too,
    except a reader's look while closing is in progress (the deadline has
    passed: nothing is being attempted early).
    `access` is the person's access here, when the caller has it already
    (a list of bids works it out once)."""
    from tenants.calloffs.models import SealedAccess

    access = access or access_compute(user=user, authority=authority_current())
    own = bid.provider_id in access.provider_ids
    package_open = bids_open(bid.package)
    if own:
        allowed, reason = True, "the bidder's own organisation"
    elif not package_open:
        if closing(bid.package) and is_reader(access, bid.package):
            raise PermissionDenied(sealed_message(bid.package))
        allowed, reason = False, _sealed_reason(bid.package)
    elif is_reader(access, bid.package):
        allowed, reason = True, "bidding has closed"
    else:
        allowed, reason = False, "not a bidder and no role that evaluates bids"
    if not allowed:
        _refused(bid.package, [bid], user=user, channel=channel, reason=reason)
        if not package_open:
            raise PermissionDenied(sealed_message(bid.package))
        raise PermissionDenied("You cannot read this bid; this attempt has been recorded.")
    SealedAccess.objects.create(bid=bid, user=_actor(user), channel=channel, allowed=True, reason=reason)
    return bid.content if bid.opened_at and not own else unseal(bid)


def refuse_until_open(package, *, user, channel: str, bid_id=None, access=None) -> None:
    """Before bidding closes, an attempt to read a package's bids (all of
    them, or one by its id) is refused naming the deadline and recorded once,
    without saying whether, or how many, bids exist. While closing is in
    progress a reader is told so, and nothing is recorded. Once bidding has
    closed it does nothing."""
    from tenants.calloffs.models import Bid

    if bids_open(package):
        return
    access = access or access_compute(user=user, authority=authority_current())
    if closing(package) and is_reader(access, package):
        raise PermissionDenied(sealed_message(package))
    bids = Bid.objects.filter(package=package, status=Bid.Status.SUBMITTED)
    _refused(package, list(bids.filter(pk=bid_id) if bid_id is not None else bids), user=user, channel=channel,
             reason=_sealed_reason(package))
    raise PermissionDenied(sealed_message(package))


def refuse_others_bid(*, user, package, provider_id: int, channel: str):
    """A provider-side request (page or API) for the bid of an organisation
    the person does not belong to. Refused and recorded, with the same answer
    and the same audit event whether or not that organisation has bid: even
    that is sealed. Staff roles the person may also hold do not count on the
    provider's side."""
    from tenants.calloffs.models import Bid, SealedAccess

    reason = "not the bidder's own organisation"
    actor = _actor(user)
    bid = Bid.objects.filter(package=package, provider_id=provider_id).only("pk", "package_id").first()
    if bid is not None:
        SealedAccess.objects.create(bid=bid, user=actor, channel=channel, allowed=False, reason=reason)
    audit_record(actor=actor, action="bid.read_refused", obj=package, reason=reason,
                 context={"channel": channel, "package": package.reference, "provider": provider_id})
    raise PermissionDenied(NOT_YOURS)
