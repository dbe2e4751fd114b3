"""Bearer tokens for integrations and devices: made once, stored as a digest."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from .models import ApiToken, Municipality, Provider

TOKEN_PREFIX = "trg_"  # noqa: S105 (a marker, not a secret)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    name: str,
    municipality: Municipality,
    *,
    provider: Provider | None = None,
    scopes: str = "import",
) -> tuple[ApiToken, str]:
    """A new token; the plain text is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        municipality=municipality,
        provider=provider,
        scopes=scopes,
        prefix=plain[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
        digest=digest(plain),
    )
    return token, plain


def authenticate(plain: str) -> ApiToken | None:
    """The live token matching `plain`, with its last use recorded; None if unknown or revoked."""
    token = (
        ApiToken.objects.select_related("municipality", "provider")
        .filter(digest=digest(plain), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Recording every use would write on every request; once a minute is plenty for audit.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
