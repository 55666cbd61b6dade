"""The Django project and app: pages, API, live sessions around the pure engine."""
