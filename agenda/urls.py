from agenda.views import booking, calendar, setup, tasks

app_name = "agenda"

urlpatterns = [*calendar.urlpatterns, *tasks.urlpatterns, *setup.urlpatterns, *booking.urlpatterns]
