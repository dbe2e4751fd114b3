"""Who may import from the case system, on top of `trygg.core.access`: the one rule the
import page, the API and the command line go by.

People: provider managers for their own providers, the municipality's administrators for
every provider of the municipality. Integrations: a token with the `import` scope, bound to
a provider for that provider only, bound to the municipality for any of its providers. The
command line is run by whoever runs the server, and may import for any provider.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from trygg.core.access import scope_for
from trygg.core.constants import Role
from trygg.core.models import Provider, User


def importable_providers(user: User | AnonymousUser) -> QuerySet[Provider]:
    """Providers whose clients this user may import from the case system."""
    scope = scope_for(user)
    managed = scope.providers_with({Role.PROVIDER_MANAGER})
    municipalities = scope.municipalities_with({Role.MUNICIPAL_ADMIN})
    if not managed and not municipalities:
        return Provider.objects.none()
    return Provider.objects.filter(Q(pk__in=managed) | Q(municipality_id__in=municipalities))


def can_import(user: User | AnonymousUser) -> bool:
    """Whether the import page belongs in the user's menu."""
    return scope_for(user).has_role(Role.PROVIDER_MANAGER, Role.MUNICIPAL_ADMIN)
