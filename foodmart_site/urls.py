from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from foodmart_site.views import healthz

admin.site.site_header = "ABC Foodmart back office"
admin.site.site_title = "Foodmart Ops"
admin.site.index_title = "Stores, products, people and sales"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("reports/", include("reports.urls")),
    path("subscriptions/", include("subscriptions.urls")),
    path("workbench/", include("workbench.urls")),
    path("healthz", healthz, name="healthz"),
]
