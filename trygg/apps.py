from django.apps import AppConfig


class TryggConfig(AppConfig):
    """The project itself as an app, installed last: the composition root's commands
    (`trygg/management/commands/`), which may use every app below them."""

    name = "trygg"
    label = "trygg"
    verbose_name = "Trygg"
