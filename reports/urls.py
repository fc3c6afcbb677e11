from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("api/<str:fact>/", views.api_query, name="api"),
    path("<slug:slug>/", views.report, name="report"),
]
