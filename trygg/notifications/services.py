"""Telling people things: an in-app notification, and an e-mail copy after commit."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from trygg.core.models import User

from .models import Notification

logger = logging.getLogger(__name__)


def notify(
    recipients: Iterable[User],
    subject: str,
    body: str = "",
    *,
    url: str = "",
    topic: str = "",
    email: bool = True,
) -> list[Notification]:
    """Create one notification per recipient; e-mails go out once the transaction commits.

    Call it inside the transaction that makes the change, so a rolled-back change tells
    nobody anything.
    """
    people = {user.pk: user for user in recipients if user.is_active}
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                subject=subject[:200],
                body=body,
                url=url[:300],
                topic=topic[:100],
                email_wanted=email and bool(user.email),
            )
            for user in people.values()
        ]
    )
    if email:
        ids = [row.pk for row in rows if row.email_wanted]
        if ids:
            transaction.on_commit(lambda: send_pending_emails(ids))
    return rows


# After a failure: try again in 1, 4, 16, 64 minutes, then give up (the row keeps the error).
MAX_EMAIL_ATTEMPTS = 5


def _retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=4 ** (attempts - 1))


def send_pending_emails(ids: list[int] | None = None, limit: int = 500) -> int:
    """Send e-mail copies not yet sent: the ones named (right after commit), or every one
    due (the worker's job, which also retries failures). Each row is claimed by a
    conditional update, so two workers never send the same e-mail twice. Returns how many
    were sent."""
    pending = Notification.objects.filter(
        email_wanted=True, emailed_at__isnull=True, email_attempts__lt=MAX_EMAIL_ATTEMPTS
    )
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    else:
        pending = pending.filter(
            Q(email_retry_at__isnull=True) | Q(email_retry_at__lte=timezone.now())
        )
    sent = 0
    for note in pending.select_related("recipient").order_by("created_at")[:limit]:
        claimed = Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        try:
            body = note.body
            if note.url:
                body = f"{body}\n\n{settings.SITE_URL.rstrip('/')}{note.url}"
            send_mail(note.subject, body, settings.DEFAULT_FROM_EMAIL, [note.recipient.email])
            sent += 1
        except Exception as exc:  # a bad address or a mail server down must not stop the loop
            logger.warning("E-mail for notification %s failed: %s", note.pk, type(exc).__name__)
            attempts = note.email_attempts + 1
            Notification.objects.filter(pk=note.pk).update(
                emailed_at=None,
                email_error=type(exc).__name__[:300],
                email_attempts=attempts,
                email_retry_at=timezone.now() + _retry_delay(attempts),
            )
    return sent


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
