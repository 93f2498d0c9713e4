from django.urls import include, path

from klantpeil.dashboards import segments, views
from klantpeil.dataio import views as dataio
from klantpeil.organisations import settings_views
from klantpeil.organisations import views as organisations

app_name = "app"

urlpatterns = [
    path("", views.home, name="home"),
    path("organisations/new/", settings_views.organisation_new, name="organisation-new"),
    path("<slug:org>/", views.overview, name="overview"),
    path("<slug:org>/drivers/", views.drivers, name="drivers"),
    path("<slug:org>/reachability/", views.reachability_page, name="reachability"),
    path(
        "<slug:org>/reachability/infographic.<str:fmt>",
        views.reachability_infographic,
        name="reachability-infographic",
    ),
    path("<slug:org>/employees/", views.employees, name="employees"),
    path("<slug:org>/segments/", segments.segments_page, name="segments"),
    path("<slug:org>/benchmark/", views.benchmark_page, name="benchmark"),
    path("<slug:org>/measurements/", views.measurement_list, name="measurements"),
    path("<slug:org>/measurements/<int:pk>/", views.measurement_detail, name="measurement"),
    path("<slug:org>/import/", dataio.import_view, name="import"),
    path("<slug:org>/export/", dataio.export_view, name="export"),
    path("<slug:org>/tokens/", dataio.tokens_view, name="tokens"),
    path("<slug:org>/volumes/", organisations.volumes_view, name="volumes"),
    path("<slug:org>/units/", organisations.units_view, name="units"),
    path("<slug:org>/units/<slug:code>/", organisations.unit_view, name="unit"),
    path("<slug:org>/hours/", organisations.hours_view, name="hours"),
    path("<slug:org>/hours/<slug:kind>/", organisations.channel_hours_view, name="channel-hours"),
    path("<slug:org>/", include("klantpeil.organisations.setup_urls")),
    path("<slug:org>/tokens/<int:token_id>/revoke/", dataio.revoke_token_view, name="revoke-token"),
    path("<slug:org>/", include(("klantpeil.textanalysis.urls", "textanalysis"), namespace="text")),
    path(
        "<slug:org>/reports/",
        include(("klantpeil.reports.urls", "reports"), namespace="reports"),
    ),
    path(
        "<slug:org>/distribution/",
        include(("klantpeil.distribution.app_urls", "distribution"), namespace="distribution"),
    ),
    path(
        "<slug:org>/fieldwork/",
        include(("klantpeil.fieldwork.urls", "fieldwork"), namespace="fieldwork"),
    ),
]
