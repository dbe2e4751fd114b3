from django.urls import path

from . import views

app_name = "integration"

urlpatterns = [
    path("import/", views.import_page, name="import"),
]
