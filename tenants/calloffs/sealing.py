"""Sealed bids (RULES.md, Directive 2014/24 Annex IV): before the deadline
nobody but the bidder's own people can read a bid, whatever the channel.

A bid's content is stored encrypted (Fernet, with a key derived per package
from BID_SEALING_KEY), so the admin, an export, a task or a raw query sees
ciphertext. Reading it goes through `read_bid`, which decides and records
every attempt (SealedAccess, and the audit trail when refused). At closing the
content is opened into plain fields for evaluation.
"""

from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal

from cryptography.fernet import Fernet
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
NOT_YOURS = "You can only read your own organisation's bids; this attempt has been recorded."
READERS = (AuthorityRole.COMMISSIONER, AuthorityRole.BROKER, AuthorityRole.EVALUATOR)


def canonical(content: dict) -> bytes:
    def default(value):
        if isinstance(value, Decimal):
            return str(value)
        return value.isoformat()

    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=default).encode()


def content_hash(content: dict) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def _fernet(package_id: int) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"jointly-sealed-bids",
               info=f"{connection.schema_name}:package:{package_id}".encode()).derive(
        settings.BID_SEALING_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(package_id: int, content: dict) -> bytes:
    return _fernet(package_id).encrypt(canonical(content))


def unseal(bid) -> dict:
    return json.loads(_fernet(bid.package_id).decrypt(bytes(bid.sealed)))


def sealed_message(package) -> str:
    """The refusal before the deadline, with the deadline in UK time."""
    return (f"Bids are sealed until the deadline ({timezone.localtime(package.bid_deadline):%-d %B %Y %H:%M}); "
            "this attempt has been recorded.")


def read_bid(bid, *, user, channel: str, access=None) -> dict:
    """A bid's content, for its own organisation at any time, and for the
    authority's brokers, commissioners and evaluators once bidding has
    closed. Every attempt is recorded; a refused one in the audit trail too.
    `access` is the person's access here, when the caller has it already
    (a list of bids works it out once)."""
    from tenants.calloffs.models import SealedAccess

    access = access or access_compute(user=user, authority=authority_current())
    own = bid.provider_id in access.provider_ids
    package_open = bid.package.status in OPEN_STATUSES
    if own:
        allowed, reason = True, "the bidder's own organisation"
    elif not package_open:
        allowed, reason = False, "sealed until the deadline"
    elif access.has_role(*READERS):
        allowed, reason = True, "bidding has closed"
    else:
        allowed, reason = False, "not a bidder and no role that evaluates bids"
    SealedAccess.objects.create(bid=bid, user=user if getattr(user, "pk", None) else None, channel=channel,
                                allowed=allowed, reason=reason)
    if not allowed:
        audit_record(actor=user if getattr(user, "pk", None) else None, action="bid.read_refused", obj=bid,
                     reason=reason, context={"channel": channel, "package": bid.package.reference})
        if reason == "sealed until the deadline":
            raise PermissionDenied(sealed_message(bid.package))
        raise PermissionDenied("You cannot read this bid; this attempt has been recorded.")
    return bid.content if bid.opened_at and not own else unseal(bid)


def refuse_until_open(package, *, user, channel: str, bid_id=None) -> None:
    """Before bidding closes, an attempt to read a package's bids (all of
    them, or one by its id) goes through the seal bid by bid, so each attempt
    is recorded, and is refused naming the deadline, without saying whether,
    or how many, bids exist. Once bidding has closed it does nothing."""
    from tenants.calloffs.models import Bid

    if package.status in OPEN_STATUSES:
        return
    bids = Bid.objects.filter(package=package, status=Bid.Status.SUBMITTED).select_related("package")
    for bid in bids.filter(pk=bid_id) if bid_id is not None else bids:
        read_bid(bid, user=user, channel=channel)
    raise PermissionDenied(sealed_message(package))


def refuse_others_bid(*, user, package, provider_id: int, channel: str):
    """A provider-side request (page or API) for the bid of an organisation
    the person does not belong to. Refused and recorded, with the same answer
    whether or not that organisation has bid: even that is sealed. Staff roles
    the person may also hold do not count on the provider's side."""
    from tenants.calloffs.models import Bid, SealedAccess

    reason = "not the bidder's own organisation"
    actor = user if getattr(user, "pk", None) else None
    bid = Bid.objects.filter(package=package, provider_id=provider_id).only("pk", "package_id").first()
    if bid is not None:
        SealedAccess.objects.create(bid=bid, user=actor, channel=channel, allowed=False, reason=reason)
    audit_record(actor=actor, action="bid.read_refused", obj=bid or package, reason=reason,
                 context={"channel": channel, "package": package.reference, "provider": provider_id})
    raise PermissionDenied(NOT_YOURS)

