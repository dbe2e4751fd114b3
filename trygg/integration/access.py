"""Who may import from the case system, on top of `trygg.core.access`: the one rule the
import page, the API and the command line go by (`services.import_file` applies it).

People: provider managers for their own providers, the municipality's administrators for
every provider of the municipality. Integrations: a token with the `import` scope, bound to
a provider for that provider only, bound to the municipality for any of its providers. The
command line (an actor given as a label) is run by whoever runs the server, and may import
for any provider.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from trygg.core.access import scope_for
from trygg.core.constants import Role
from trygg.core.models import ApiToken, Provider, User

IMPORT_SCOPE = "import"

# Who starts an import: a person, an integration's token, or the command line's label
# ("command line (alice)"); None for code that imports by itself (the demo, tests).
Importer = User | AnonymousUser | ApiToken | str | None


def importable_providers(user: User | AnonymousUser) -> QuerySet[Provider]:
    """Providers whose clients this user may import from the case system."""
    scope = scope_for(user)
    managed = scope.providers_with({Role.PROVIDER_MANAGER})
    municipalities = scope.municipalities_with({Role.MUNICIPAL_ADMIN})
    if not managed and not municipalities:
        return Provider.objects.none()
    return Provider.objects.filter(Q(pk__in=managed) | Q(municipality_id__in=municipalities))


def can_import(user: User | AnonymousUser) -> bool:
    """Whether the user imports for any provider: the import page and its menu entry."""
    return import_refusal(user) is None


def may_move_clients(actor: Importer, provider: Provider) -> bool:
    """Whether `actor`'s import for `provider` may take over clients that the case system
    lists under another provider. Only the municipality's own import may: its
    administrators, a token not bound to a provider (the case system's), the command line
    and code. A provider's manager or a provider-bound token naming another provider's
    client would otherwise take over (and overwrite) a client it has no right to see."""
    if isinstance(actor, ApiToken):
        return actor.provider_id is None and actor.municipality_id == provider.municipality_id
    if isinstance(actor, User | AnonymousUser):
        return provider.municipality_id in scope_for(actor).municipalities_with(
            {Role.MUNICIPAL_ADMIN}
        )
    return True


def import_refusal(actor: Importer, provider: Provider | None = None) -> str | None:
    """Why `actor` may not import `provider`'s clients, or None when they may. Without a
    provider: why they may not import at all."""
    if isinstance(actor, ApiToken):
        if not actor.has_scope(IMPORT_SCOPE):
            return _("This token does not have the import scope.")
        if provider is not None and not (
            actor.municipality_id == provider.municipality_id
            and actor.provider_id in (None, provider.pk)
        ):
            return _("This token may import only for its own provider.")
        return None
    if isinstance(actor, User | AnonymousUser):
        if not scope_for(actor).has_role(Role.PROVIDER_MANAGER, Role.MUNICIPAL_ADMIN):
            return _("Only provider managers and administrators import.")
        if provider is not None and not importable_providers(actor).filter(pk=provider.pk).exists():
            return _("You may not import for this provider.")
        return None
    return None
