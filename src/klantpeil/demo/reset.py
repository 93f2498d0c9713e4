"""Deleting everything the demo made, for ``klantpeil demo --reset``."""

from django.db import transaction

from klantpeil.accounts.models import Membership, User
from klantpeil.collection.models import Answer, Correction, Invitation, Measurement
from klantpeil.distribution.models import Delivery, MessageTemplate, OptOut
from klantpeil.organisations.models import Channel, Organisation, Unit
from klantpeil.textanalysis.models import CommentAnnotation, SocialPost


@transaction.atomic
def wipe_demo() -> None:
    """Remove all organisations and their data (the demo database holds nothing else)."""
    Correction.unscoped_all_tenants.all().delete()
    CommentAnnotation.unscoped_all_tenants.all()._raw_delete(
        CommentAnnotation.unscoped_all_tenants.db
    )
    SocialPost.unscoped_all_tenants.filter(in_reply_to__isnull=False).delete()
    SocialPost.unscoped_all_tenants.all().delete()
    # Invitations point at measurements (and their sends at them): gone first.
    OptOut.unscoped_all_tenants.all().delete()
    Delivery.unscoped_all_tenants.all()._raw_delete(Delivery.unscoped_all_tenants.db)
    Invitation.unscoped_all_tenants.all()._raw_delete(Invitation.unscoped_all_tenants.db)
    MessageTemplate.unscoped_all_tenants.all().delete()
    Answer.unscoped_all_tenants.all()._raw_delete(Answer.unscoped_all_tenants.db)
    Measurement.unscoped_all_tenants.all()._raw_delete(Measurement.unscoped_all_tenants.db)
    Membership.objects.all().delete()
    User.objects.filter(email__endswith=".example").delete()
    Channel.unscoped_all_tenants.all().delete()
    Unit.unscoped_all_tenants.all().delete()
    Organisation.objects.all().delete()
