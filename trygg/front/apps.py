from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "trygg.front"
    label = "front"
    verbose_name = "Front"
